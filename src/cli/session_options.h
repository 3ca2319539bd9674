// Settings on the command line, one helper for every command.
//
// Every command that reads settings (sessions, dns, http, tls, ssh, follow,
// packets, analyze, config) takes --config FILE and --set NAME=VALUE, and
// some take a flag for a setting they use often (--tcp-timeout,
// --exfil-ratio ...). Flags only record the text the user typed; the value is
// checked by the setting's own parser in Config::load, so a flag, an
// environment variable and a file key holding the same bad text get the same
// error ("--tcp-timeout=soon: expected ..."), and there is one parser per
// kind instead of one CLI11 validator per flag. Suricata's `--set key=value`
// is the model for the generic override.
#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/settings.h"
#include "output/session_writer.h"
#include "pcapscope/capture.h"
#include "pcapscope/session.h"

namespace CLI {
class App;
}

namespace pcapscope::cli {

// What the command line said about settings; filled by CLI11 while parsing.
struct ConfigFlags {
  std::string config_file;                 // --config FILE (empty: PCAPSCOPE_CONFIG, else none)
  std::vector<std::string> sets;           // --set NAME=VALUE, in the order given
  std::map<std::string, config::Config::Flag, std::less<>> flags;  // setting name -> flag text and spelling
};

// --config FILE and --set NAME=VALUE, plus add_setting_flag for each of SETTINGS.
void add_config_flags(CLI::App& cmd, ConfigFlags& flags, std::initializer_list<std::string_view> settings = {});

// --FLAG (default: the setting name with '-' for '_', e.g. --exfil-ratio) for SETTING, whose help text,
// environment variable and default come from its SettingSpec. A SETTING not in all_settings() (a detector
// not registered yet) still gets its flag, which then fails as an unknown setting when used: registration
// runs for every command, and one command's wiring must not take the others down.
void add_setting_flag(CLI::App& cmd, ConfigFlags& flags, std::string_view setting, std::string flag = {});

// add_config_flags, plus --tcp-timeout, --udp-timeout, --icmp-timeout and --max-sessions.
void add_session_flags(CLI::App& cmd, ConfigFlags& flags);

// Every setting (config::all_settings()) from flag > environment > file > default. On any error it prints
// "pcapscope: <message>" (e.g. "pcapscope: PCAPSCOPE_EXFIL_RATIO=abc: expected a number greater than 1")
// and exits with status 2.
config::Config resolve_config(const ConfigFlags& flags);

// How to open the inputs under CONFIG: the decompression bounds (max_decompressed_size,
// max_compression_ratio) and BPF (--bpf). Also sets the decoder's layer bound (max_layers), which is
// process-wide (set_max_layers, pcapscope/decode.h): every command that reads captures calls this once,
// before any thread decodes.
OpenOptions reading_options(const config::Config& config, const std::string& bpf);

// resolve_config(), then the session stage's part of it.
SessionOptions resolve_session_options(const ConfigFlags& flags);

// The session stage's part of a resolved Config (config::session_options).
inline SessionOptions session_options_from_config(const config::Config& config) {
  return config::session_options(config);
}

// --format of the record commands (sessions, dns, http, tls, ssh): "text", "json"/"jsonl", "csv", "zeek".
RecordFormat parse_record_format(const std::string& format);

// Decodes every packet of TL into TABLE, starting with PKT when HAVE_FIRST (the
// caller read it already, for Zeek's #open time), then ends every session.
void feed_sessions(Timeline& tl, Packet& pkt, bool have_first, SessionTable& table);

}  // namespace pcapscope::cli

// Pieces every subcommand shares: error reporting, opening inputs, stdout.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "pcapscope/capture.h"

namespace CLI {
class App;
}

namespace pcapscope::cli {

// Exit codes (ARCHITECTURE.md): 0 ok, 1 alerts with --fail-on-alert, 2 usage or input error.
inline constexpr int kExitOk = 0;
inline constexpr int kExitAlerts = 1;
inline constexpr int kExitUsage = 2;

// Prints "pcapscope: WHAT: WHY" on stderr and exits with status 2.
[[noreturn]] void die(std::string_view what, std::string_view why);

// Opens the inputs as one timeline, or dies naming the file that failed.
// OPTIONS (reading_options(), cli/session_options.h): the capture filter
// (--bpf) the timeline applies before anything decodes, where a bad
// expression dies as "pcapscope: --bpf: <libpcap's message>", and the
// decompression bounds.
Timeline open_inputs(const std::vector<std::string>& paths, const OpenOptions& options = {});

// Adds --bpf EXPRESSION (tcpdump's capture-filter language) to a reading command.
void add_bpf_option(CLI::App& cmd, std::string& bpf);

// stdout with a large buffer; write() never allocates.
class Stdout {
 public:
  static void write(std::string_view s) { std::fwrite(s.data(), 1, s.size(), stdout); }
  static void init();   // sets a 1 MiB buffer
  static void flush();  // dies with a one-line error if stdout failed (disk full ...)
};

// Registration of each subcommand (one file each).
void add_info_command(CLI::App& app, int& exit_code);
void add_packets_command(CLI::App& app, int& exit_code);
void add_export_command(CLI::App& app, int& exit_code);
void add_fields_command(CLI::App& app, int& exit_code);
void add_sessions_command(CLI::App& app, int& exit_code);
void add_follow_command(CLI::App& app, int& exit_code);
void add_proto_log_commands(CLI::App& app, int& exit_code);  // dns, http, tls, ssh
void add_analyze_command(CLI::App& app, int& exit_code);
void add_config_command(CLI::App& app, int& exit_code);
void add_sql_command(CLI::App& app, int& exit_code);

}  // namespace pcapscope::cli

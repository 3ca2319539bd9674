#include "cli/session_options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include "cli/common.h"
#include "config/settings.h"
#include "pcapscope/decode.h"

namespace pcapscope::cli {

namespace {

const config::SettingSpec* spec_of(std::string_view setting) {
  for (const config::SettingSpec* s : config::all_settings()) {
    if (s->name == setting) return s;
  }
  return nullptr;
}

std::string type_name(config::Kind k) {
  switch (k) {
    case config::Kind::kNumber: return "NUMBER";
    case config::Kind::kCount: return "COUNT";
    case config::Kind::kBytes: return "BYTES";
    case config::Kind::kSeconds: return "SECONDS";
    case config::Kind::kBool: return "BOOL";
    case config::Kind::kText: return "TEXT";
    case config::Kind::kPath: return "FILE";
    case config::Kind::kNetworks: return "CIDRS";
    case config::Kind::kSeverity: return "SEVERITY";
  }
  return "VALUE";
}

}  // namespace

void add_config_flags(CLI::App& cmd, ConfigFlags& f, std::initializer_list<std::string_view> settings) {
  cmd.add_option("--config", f.config_file,
                 "TOML file of settings (default: PCAPSCOPE_CONFIG; `pcapscope config` lists the settings)")
      ->type_name("FILE");
  cmd.add_option("--set", f.sets, "Set a setting, over environment and file: NAME=VALUE (repeatable)")
      ->type_name("NAME=VALUE");
  for (std::string_view s : settings) add_setting_flag(cmd, f, s);
}

void add_setting_flag(CLI::App& cmd, ConfigFlags& f, std::string_view setting, std::string flag) {
  const config::SettingSpec* spec = spec_of(setting);
  if (flag.empty()) {
    flag = "--" + std::string(setting);
    for (char& c : flag) c = c == '_' ? '-' : c;
  }
  const std::string help =
      spec ? fmt::format("{} ({}, default {})", spec->help, config::env_name(spec->name),
                         spec->default_value.empty() ? "none" : spec->default_value)
           : fmt::format("(setting {} is not available in this build)", setting);
  // The text is kept as typed; Config::load parses it, so the error matches the environment's.
  cmd.add_option_function<std::string>(
         flag, [&f, name = std::string(setting), flag](const std::string& text) { f.flags[name] = {text, flag}; },
         help)
      ->type_name(spec ? type_name(spec->kind) : "VALUE");
}

void add_session_flags(CLI::App& cmd, ConfigFlags& f) {
  add_config_flags(cmd, f);
  add_setting_flag(cmd, f, "tcp_timeout");
  add_setting_flag(cmd, f, "udp_timeout");
  add_setting_flag(cmd, f, "icmp_timeout");
  add_setting_flag(cmd, f, "max_sessions");
}

config::Config resolve_config(const ConfigFlags& f) {
  auto flags = f.flags;
  const auto specs = config::all_settings();
  for (const std::string& s : f.sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) die("--set", fmt::format("\"{}\": expected NAME=VALUE", s));
    const std::string name = s.substr(0, eq);
    // A dedicated flag (--tcp-timeout) is more specific than --set and wins over it.
    if (flags.count(name)) continue;
    flags[name] = {s.substr(eq + 1), "--set " + name};
  }
  auto c = config::Config::load(specs, f.config_file, flags);
  if (!c) {
    std::fflush(stdout);
    fmt::print(stderr, "pcapscope: {}\n", c.error().message);
    std::exit(kExitUsage);
  }
  return std::move(c).value();
}

SessionOptions resolve_session_options(const ConfigFlags& f) { return config::session_options(resolve_config(f)); }

OpenOptions reading_options(const config::Config& config, const std::string& bpf) {
  OpenOptions o;
  o.bpf = bpf;
  o.max_decompressed_bytes = config.count("max_decompressed_size");
  o.max_compression_ratio = config.count("max_compression_ratio");
  set_max_layers(static_cast<std::size_t>(config.count("max_layers")));
  return o;
}

RecordFormat parse_record_format(const std::string& format) {
  if (format == "json" || format == "jsonl") return RecordFormat::kJson;
  if (format == "csv") return RecordFormat::kCsv;
  if (format == "zeek") return RecordFormat::kZeek;
  return RecordFormat::kText;
}

void feed_sessions(Timeline& tl, Packet& pkt, bool have_first, SessionTable& table) {
  DecodedPacket dp;
  for (bool have = have_first; have; have = tl.next(pkt)) {
    decode(pkt, dp);
    table.process(dp);
  }
  table.finish();
}

}  // namespace pcapscope::cli

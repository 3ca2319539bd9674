// `pcapscope config [--config FILE] [--set NAME=VALUE] [--format text|json]`:
// every setting with its value and where that value came from.
//
// The answer to "why did it do that?" is usually a setting someone forgot
// they exported; like `git config --list --show-origin` and Suricata's
// `--dump-config`, this shows the resolved value with its source (default,
// file, environment, flag) and origin (the file and line, the variable, the
// flag), after exactly the resolution every other command does, so an
// invalid value fails here with the same one-line error and exit 2.
// JSON Lines carries kind, bounds and the "expected" text too, so scripts
// (and tests/corpus/config_cli.py) can work from the table itself.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/session_options.h"
#include "config/config.h"

namespace pcapscope::cli {
namespace {

struct ConfigCmdOptions {
  std::string format = "text";
  ConfigFlags config;
};

std::string shown_value(const config::Value& v) { return v.text.empty() ? "\"\"" : v.text; }

std::string shown_source(const config::Value& v) {
  // The environment column already names the variable; a file or a flag needs its spelling.
  if (v.source == config::Source::kFile || v.source == config::Source::kFlag) {
    return fmt::format("{} {}", config::source_name(v.source), v.origin);
  }
  return std::string(config::source_name(v.source));
}

void write_text(const config::Config& c, const ConfigCmdOptions& opt) {
  std::string out;
  if (c.file().empty()) {
    out += "config file: none (--config FILE or PCAPSCOPE_CONFIG)\n\n";
  } else {
    out += fmt::format("config file: {} (from {})\n\n", c.file(),
                       opt.config.config_file.empty() ? "PCAPSCOPE_CONFIG" : "--config");
  }
  const auto entries = c.entries();
  // Long values (the default internal networks) would push every row right: they overflow their column instead.
  constexpr std::size_t kMaxValueWidth = 24;
  std::size_t w_name = 7, w_env = 11, w_value = 5, w_source = 6;
  for (const auto& e : entries) {
    w_name = std::max(w_name, e.spec->name.size());
    w_env = std::max(w_env, config::env_name(e.spec->name).size());
    w_value = std::max(w_value, std::min(kMaxValueWidth, shown_value(*e.value).size()));
    w_source = std::max(w_source, shown_source(*e.value).size());
  }
  out += fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", "SETTING", w_name, "ENVIRONMENT", w_env, "VALUE",
                     w_value, "SOURCE", w_source, "HELP");
  for (const auto& e : entries) {
    out += fmt::format("{:<{}}  {:<{}}  {:<{}}  {:<{}}  {}\n", e.spec->name, w_name, config::env_name(e.spec->name),
                       w_env, shown_value(*e.value), w_value, shown_source(*e.value), w_source, e.spec->help);
  }
  Stdout::write(out);
}

void write_json(const config::Config& c) {
  std::string out;
  for (const auto& e : c.entries()) {
    const config::SettingSpec& s = *e.spec;
    nlohmann::ordered_json j;
    j["name"] = s.name;
    j["env"] = config::env_name(s.name);
    j["kind"] = config::kind_name(s.kind);
    j["value"] = e.value->text;
    j["source"] = config::source_name(e.value->source);
    j["origin"] = e.value->origin;
    j["default"] = s.default_value;
    j["help"] = s.help;
    j["expected"] = config::expected_text(s);
    j["min"] = s.min > -1e299 ? nlohmann::ordered_json(s.min) : nlohmann::ordered_json();
    j["max"] = s.max < 1e299 ? nlohmann::ordered_json(s.max) : nlohmann::ordered_json();
    j["min_exclusive"] = s.min_exclusive;
    out += j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
    out += '\n';
  }
  Stdout::write(out);
}

int run(const ConfigCmdOptions& opt) {
  const config::Config c = resolve_config(opt.config);
  if (opt.format == "json" || opt.format == "jsonl") {
    write_json(c);
  } else {
    write_text(c, opt);
  }
  Stdout::flush();
  return kExitOk;
}

}  // namespace

void add_config_command(CLI::App& app, int& exit_code) {
  auto opt = std::make_shared<ConfigCmdOptions>();
  auto* cmd = app.add_subcommand(
      "config", "Show every setting: value, and where it came from (flag > environment > config file > default)");
  cmd->add_option("--format", opt->format, "text (an aligned table, default) or json (JSON Lines, one per setting)")
      ->check(CLI::IsMember({"text", "json", "jsonl"}));
  add_session_flags(*cmd, opt->config);
  cmd->callback([opt, &exit_code] { exit_code = run(*opt); });
}

}  // namespace pcapscope::cli

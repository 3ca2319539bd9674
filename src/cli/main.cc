// pcapscope command line: one subcommand a file, wired here.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "cli/common.h"
#include "core/sandbox.h"
#include "pcapscope/filter.h"

#ifndef PCAPSCOPE_VERSION
#define PCAPSCOPE_VERSION "dev"
#endif

int main(int argc, char** argv) {
  using namespace pcapscope::cli;
  // Before anything else, and for every command: no socket, no sending, ever
  // (core/sandbox.h, docs/security.md). PCAPSCOPE_SANDBOX=off skips it, for
  // profilers that cannot run seccomp'd code; nothing else does.
  const char* sandbox = std::getenv("PCAPSCOPE_SANDBOX");
  if (sandbox && std::string_view(sandbox) != "off" && std::string_view(sandbox) != "on") {
    fmt::print(stderr, "pcapscope: PCAPSCOPE_SANDBOX: \"{}\": expected on or off\n", sandbox);
    return kExitUsage;
  }
  if (!sandbox || std::string_view(sandbox) == "on") {
    if (auto r = pcapscope::sandbox::forbid_network(); !r) {
      fmt::print(stderr, "pcapscope: sandbox: {} (PCAPSCOPE_SANDBOX=off runs without it)\n", r.error().message);
      return kExitUsage;
    }
  }
  CLI::App app{"pcapscope: read-only network forensics for pcap and pcapng evidence", "pcapscope"};
  app.set_version_flag("--version", std::string("pcapscope ") + PCAPSCOPE_VERSION);
  app.require_subcommand(1);
  app.footer("Run 'pcapscope COMMAND --help' for a command's options.");
  int exit_code = kExitOk;
  add_info_command(app, exit_code);
  add_packets_command(app, exit_code);
  add_export_command(app, exit_code);
  add_fields_command(app, exit_code);
  add_sessions_command(app, exit_code);
  add_follow_command(app, exit_code);
  add_proto_log_commands(app, exit_code);
  add_analyze_command(app, exit_code);
  add_config_command(app, exit_code);
  add_sql_command(app, exit_code);

  Stdout::init();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string msg = e.what();
    fmt::print(stderr, "pcapscope: usage: {}\nRun 'pcapscope --help' for usage.\n", msg);
    return kExitUsage;
  } catch (const std::exception& e) {
    // Nothing on the packet path throws; this is the last line of defence
    // (out of memory, a library's exception) so the user still gets one line.
    std::fflush(stdout);
    fmt::print(stderr, "pcapscope: error: {}\n", e.what());
    return kExitUsage;
  }
  Stdout::flush();
  if (const std::uint64_t cut = pcapscope::filter::arithmetic_cut_count())
    fmt::print(stderr,
               "pcapscope: filter: {} evaluations had more than {} pairs of occurrences in one arithmetic operation; "
               "the pairs beyond were not taken (docs/filters.md)\n",
               cut, pcapscope::filter::kMaxArithmeticPairs);
  return exit_code;
}

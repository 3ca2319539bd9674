#include "cli/common.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/printable.h"

namespace pcapscope::cli {

void die(std::string_view what, std::string_view why) {
  std::fflush(stdout);
  fmt::print(stderr, "pcapscope: {}: {}\n", printable(what), printable(why));
  std::exit(kExitUsage);
}

Timeline open_inputs(const std::vector<std::string>& paths, const OpenOptions& options) {
  if (paths.empty()) die("input", "no capture file given (use - for stdin)");
  int stdin_uses = 0;
  for (const auto& p : paths) stdin_uses += p == "-";
  if (stdin_uses > 1) die("-", "stdin can be read only once");
  auto tl = Timeline::open(paths, options);
  if (!tl) {
    // Timeline errors are already "FILE: why" (or "--bpf: why").
    std::fflush(stdout);
    fmt::print(stderr, "pcapscope: {}\n", printable(tl.error().message));
    std::exit(kExitUsage);
  }
  return std::move(tl).value();
}

void add_bpf_option(CLI::App& cmd, std::string& bpf) {
  cmd.add_option("--bpf", bpf,
                 "Capture filter in tcpdump's language (e.g. 'tcp port 80'), compiled by libpcap and applied before "
                 "decoding; frame numbers stay the file's own");
}

void Stdout::init() {
  static char buf[1 << 20];
  std::setvbuf(stdout, buf, _IOFBF, sizeof buf);
}

void Stdout::flush() {
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    if (errno == EPIPE) std::exit(kExitOk);  // reader went away (| head): not our error
    fmt::print(stderr, "pcapscope: stdout: {}\n", std::strerror(errno));
    std::exit(kExitUsage);
  }
}

}  // namespace pcapscope::cli

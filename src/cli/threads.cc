#include "cli/threads.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <string_view>
#include <thread>

#include "cli/common.h"

namespace pcapscope::cli {

void add_threads_option(CLI::App& cmd, unsigned& threads, std::string_view unset) {
  cmd.add_option("-j,--threads", threads,
                 fmt::format("Threads (default: PCAPSCOPE_THREADS, else {}); output is the same for every count", unset))
      ->check(CLI::Range(1u, kMaxThreads));
}

unsigned resolve_threads(unsigned threads, unsigned unset) {
  if (threads > 0) return threads;
  if (const char* env = std::getenv("PCAPSCOPE_THREADS"); env != nullptr) {
    const std::string_view text(env);
    unsigned n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || n < 1 || n > kMaxThreads)
      die("PCAPSCOPE_THREADS", fmt::format("\"{}\" is not a thread count (1 to {})", text, kMaxThreads));
    return n;
  }
  if (unset > 0) return unset;
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : std::min(cores, kMaxThreads);
}

}  // namespace pcapscope::cli

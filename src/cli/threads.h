// How many threads a command uses: -j N, else PCAPSCOPE_THREADS, else every core.
#pragma once

#include <CLI/CLI.hpp>

#include <string_view>

namespace pcapscope::cli {

// Adds -j/--threads to CMD, stored in THREADS (0: not given); UNSET says what the default is.
void add_threads_option(CLI::App& cmd, unsigned& threads, std::string_view unset = "every core");

// The thread count to use: THREADS when given, else PCAPSCOPE_THREADS, else
// UNSET (0: std::thread::hardware_concurrency()). A PCAPSCOPE_THREADS that is
// not a whole number from 1 to kMaxThreads stops the command with a one-line error.
unsigned resolve_threads(unsigned threads, unsigned unset = 0);

inline constexpr unsigned kMaxThreads = 256;

}  // namespace pcapscope::cli

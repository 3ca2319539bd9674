#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace pcapscope::cli {

Progress::Progress(std::string label, std::uint64_t total_bytes)
    : label_(std::move(label)), total_(total_bytes), enabled_(::isatty(STDERR_FILENO) == 1) {
  start_ = last_ = std::chrono::steady_clock::now();
}

Progress::~Progress() { done(); }

void Progress::update(std::uint64_t done_bytes) {
  const auto now = std::chrono::steady_clock::now();
  // Nothing for the first second (short runs stay quiet), then at most 5 redraws a second.
  if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double mbs = static_cast<double>(done_bytes) / 1e6 / secs;
  std::string line;
  if (total_ > 0) {
    const double frac = std::min(1.0, static_cast<double>(done_bytes) / static_cast<double>(total_));
    constexpr int kWidth = 30;
    const int fill = static_cast<int>(frac * kWidth);
    line = fmt::format("\r{} [{}{}] {:3.0f}%  {:.0f} MB/s ", label_, std::string(static_cast<std::size_t>(fill), '#'),
                       std::string(static_cast<std::size_t>(kWidth - fill), ' '), frac * 100, mbs);
  } else {
    line = fmt::format("\r{} {:.0f} MB read, {:.0f} MB/s ", label_, static_cast<double>(done_bytes) / 1e6, mbs);
  }
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  shown_ = true;
}

void Progress::done() {
  if (!shown_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  shown_ = false;
}

}  // namespace pcapscope::cli

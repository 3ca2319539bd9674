// A progress bar on stderr for long runs, only when stderr is a terminal
// (ARCHITECTURE.md: progress never pollutes a pipeline or a log file).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace pcapscope::cli {

class Progress {
 public:
  // TOTAL_BYTES: the inputs' sizes as stored (0: unknown, e.g. stdin; the bar then shows counts only).
  Progress(std::string label, std::uint64_t total_bytes);
  ~Progress();
  // Cheap enough for every packet: it looks at the clock once every 64k calls.
  void tick(std::uint64_t done_bytes) {
    if (!enabled_ || (++calls_ & 0xffff) != 0) return;
    update(done_bytes);
  }
  void done();  // clears the line

 private:
  void update(std::uint64_t done_bytes);
  std::string label_;
  std::uint64_t total_;
  std::uint64_t calls_ = 0;
  bool enabled_ = false;
  bool shown_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace pcapscope::cli

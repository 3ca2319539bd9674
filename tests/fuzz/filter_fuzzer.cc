// libFuzzer target for the filter language: see fuzz_filter in filter_harness.cc.
#include <cstddef>
#include <cstdint>

#include "fuzz/harness.h"
#include "fuzz/heap_budget.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // One expression of <= 512 bytes holds a few MiB (compiled regexes,
  // scratch values of at most kMaxArithmeticPairs per operation).
  const pcapscope::fuzz::HeapBudget budget(64);
  pcapscope::fuzz::fuzz_filter(data, size);
  return 0;
}

// libFuzzer target for the filter language: see fuzz_filter in filter_harness.cc.
#include <cstddef>
#include <cstdint>

#include "fuzz/harness.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pcapscope::fuzz::fuzz_filter(data, size);
  return 0;
}

// libFuzzer entry point for capture; the work is in pipeline_harness.cc.
#include <cstddef>
#include <cstdint>

#include "fuzz/pipeline_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pcapscope::fuzz::fuzz_capture(data, size);
  return 0;
}

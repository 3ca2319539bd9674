// libFuzzer entry point for the TLS parsers; the work is in harness.cc.
#include <cstddef>
#include <cstdint>

#include "fuzz/harness.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pcapscope::fuzz::fuzz_tls(data, size);
  return 0;
}

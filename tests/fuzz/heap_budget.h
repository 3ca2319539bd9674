// The heap one fuzz execution may hold at once. libFuzzer bounds a single
// allocation (-malloc_limit_mb) and the process's RSS (-rss_limit_mb), but
// not what one input makes the code hold in many small allocations: such an
// input freed at the end of its execution only shows as RSS drifting up under
// ASan (its quarantine and size classes keep the pages), millions of
// executions later, with no input to blame. This is how the filter target's
// exponential arithmetic (docs/filters.md, kMaxArithmeticPairs) first showed.
// A HeapBudget around one execution counts live bytes through ASan's malloc
// and free hooks and traps, so libFuzzer saves the input, when the peak
// passed MIB. Fuzz builds only (needs the sanitizer allocator).
#pragma once

#include <cstddef>

namespace pcapscope::fuzz {

class HeapBudget {
 public:
  explicit HeapBudget(std::size_t mib);
  ~HeapBudget();  // traps if the execution's peak passed the budget
  HeapBudget(const HeapBudget&) = delete;
  HeapBudget& operator=(const HeapBudget&) = delete;

 private:
  std::size_t limit_;
};

}  // namespace pcapscope::fuzz

#include "fuzz/heap_budget.h"

#include <sanitizer/allocator_interface.h>

#include <atomic>
#include <cstdio>

namespace pcapscope::fuzz {
namespace {

// Atomics: the sessions target's workers allocate too. Bytes allocated before
// the budget started and freed inside it make `live` dip below zero, which
// only lowers the peak seen: the budget never traps on what it did not see.
std::atomic<long long> live{0};
std::atomic<long long> peak{0};

void on_malloc(const volatile void*, std::size_t size) {
  const long long now = live.fetch_add(static_cast<long long>(size), std::memory_order_relaxed) + static_cast<long long>(size);
  long long seen = peak.load(std::memory_order_relaxed);
  while (now > seen && !peak.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
  }
}

void on_free(const volatile void* ptr) {
  // The hook runs before the chunk is released, so its size is still known.
  if (ptr) live.fetch_sub(static_cast<long long>(__sanitizer_get_allocated_size(const_cast<const void*>(ptr))),
                          std::memory_order_relaxed);
}

}  // namespace

HeapBudget::HeapBudget(std::size_t mib) : limit_(mib << 20) {
  static const bool installed = __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free) != 0;
  if (!installed) std::fprintf(stderr, "fuzz: heap budget: no room for another malloc hook\n"), __builtin_trap();
  live.store(0, std::memory_order_relaxed);
  peak.store(0, std::memory_order_relaxed);
}

HeapBudget::~HeapBudget() {
  const long long p = peak.load(std::memory_order_relaxed);
  if (p > static_cast<long long>(limit_)) {
    std::fprintf(stderr, "fuzz invariant failed: one execution held %lld MiB of heap at once (budget %zu MiB)\n", p >> 20,
                 limit_ >> 20);
    __builtin_trap();
  }
}

}  // namespace pcapscope::fuzz

// The open-addressing index from flow key to session slot, and the slab the
// sessions live in.
//
// Slots hold a 32-bit session index and the low 32 bits of the key's hash
// (which also give the home slot), probed linearly; the full key is compared
// in the session itself only on a hash match. Keeping the hash in the slot
// lets deletion and growth run without touching the sessions: under a SYN
// flood those random accesses into the slab were the cost.
// Deletion shifts later entries back (no tombstones), so probe lengths do not
// decay in a long capture with millions of short flows. Sessions live in
// chunks: their addresses never change and growth never copies.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "session/flow_key.h"

namespace pcapscope::session {

inline constexpr std::uint32_t kNoSession = UINT32_MAX;

template <typename T>
class Slab {
 public:
  static constexpr std::uint32_t kChunk = 4096;

  // Slots below kChunk live in small chunks that double (64, 64, 128 ...
  // 2048): a table that holds a few sessions (a small capture, a fuzz input,
  // a worker's tunnel table) does not construct 4,096 of them up front. The
  // rest live in chunks of kChunk; one compare tells the two apart.
  T& operator[](std::uint32_t i) { return i >= kChunk ? big_[(i >> kShift) - 1][i & (kChunk - 1)] : small(i); }
  const T& operator[](std::uint32_t i) const {
    return i >= kChunk ? big_[(i >> kShift) - 1][i & (kChunk - 1)] : const_cast<Slab*>(this)->small(i);
  }

  // A free slot (reset to T{}), growing by one chunk when none is left.
  std::uint32_t acquire() {
    if (free_.empty()) {
      std::uint32_t base = 0, size = 0;
      if (small_.size() < kSmallChunks) {
        const auto c = static_cast<std::uint32_t>(small_.size());
        base = c == 0 ? 0 : kFirst << (c - 1);
        size = c == 0 ? kFirst : base;
        small_.push_back(std::make_unique<T[]>(size));
      } else {
        base = static_cast<std::uint32_t>(big_.size() + 1) * kChunk;
        size = kChunk;
        big_.push_back(std::make_unique<T[]>(kChunk));
      }
      for (std::uint32_t i = size; i-- > 0;) free_.push_back(base + i);
    }
    const std::uint32_t i = free_.back();
    free_.pop_back();
    return i;
  }
  void release(std::uint32_t i) {
    (*this)[i] = T{};
    free_.push_back(i);
  }

 private:
  static constexpr std::uint32_t kShift = 12;  // log2(kChunk)
  static constexpr std::uint32_t kFirst = 64;
  static constexpr std::size_t kSmallChunks = 7;  // 64 + 64 + 128 + ... + 2048 = kChunk
  static_assert(kChunk == 1u << kShift && (kFirst << (kSmallChunks - 1)) == kChunk);

  T& small(std::uint32_t i) {
    if (i < kFirst) return small_[0][i];
    const auto c = static_cast<std::uint32_t>(31 - __builtin_clz(i)) - 5;  // [64,128) -> 1 ... [2048,4096) -> 6
    return small_[c][i - (kFirst << (c - 1))];
  }

  std::vector<std::unique_ptr<T[]>> small_, big_;
  std::vector<std::uint32_t> free_;
};

class FlowIndex {
 public:
  FlowIndex() { slots_.resize(1024); }

  // Finds KEY; MATCHES(index) compares the full key stored with a session.
  template <typename Matches>
  std::uint32_t find(const FlowKey& key, std::uint64_t hash, Matches&& matches) const {
    (void)key;
    const auto tag = static_cast<std::uint32_t>(hash);
    for (std::size_t i = tag & mask();; i = (i + 1) & mask()) {
      const Slot& s = slots_[i];
      if (s.index == kNoSession) return kNoSession;
      if (s.tag == tag && matches(s.index)) return s.index;
    }
  }
  // The caller grows first when needs_growth().
  void insert(std::uint64_t hash, std::uint32_t index) {
    place(hash, index);
    ++size_;
  }
  // Removes INDEX (stored under HASH).
  void erase(std::uint64_t hash, std::uint32_t index) {
    std::size_t i = static_cast<std::uint32_t>(hash) & mask();
    while (slots_[i].index != index) i = (i + 1) & mask();
    // Backward-shift deletion: pull later entries of the cluster into the hole
    // when their home slot does not lie cyclically between the hole and them.
    for (std::size_t j = (i + 1) & mask();; j = (j + 1) & mask()) {
      if (slots_[j].index == kNoSession) break;
      const std::size_t home = slots_[j].tag & mask();
      const bool between = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!between) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Slot{};
    --size_;
  }
  std::size_t size() const { return size_; }
  std::size_t memory() const { return slots_.size() * sizeof(Slot); }
  void grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& s : old) {
      if (s.index != kNoSession) place(s.tag, s.index);
    }
  }
  bool needs_growth() const { return (size_ + 1) * 2 > slots_.size(); }

 private:
  struct Slot {
    std::uint32_t index = kNoSession;
    std::uint32_t tag = 0;
  };
  std::size_t mask() const { return slots_.size() - 1; }
  void place(std::uint64_t hash, std::uint32_t index) {
    const auto tag = static_cast<std::uint32_t>(hash);
    std::size_t i = tag & mask();
    while (slots_[i].index != kNoSession) i = (i + 1) & mask();
    slots_[i] = Slot{index, tag};
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
};

}  // namespace pcapscope::session

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
#include <new>
#include <vector>

#include "session/flow_key.h"

namespace pcapscope::session {

inline constexpr std::uint32_t kNoSession = UINT32_MAX;

template <typename T>
class Slab {
 public:
  // Small enough that a table of a few sessions (a sharded worker on a short
  // capture, a fuzz execution) does not take megabytes; large enough that
  // the chunk lookup costs nothing (4,096 ran the same instructions per packet).
  static constexpr std::uint32_t kChunk = 256;

  Slab() = default;
  Slab(const Slab&) = delete;
  Slab& operator=(const Slab&) = delete;
  ~Slab() {
    for (std::uint32_t i = 0; i < constructed_; ++i) (*this)[i].~T();
  }

  T& operator[](std::uint32_t i) { return std::launder(reinterpret_cast<T*>(chunks_[i / kChunk].get()))[i % kChunk]; }
  const T& operator[](std::uint32_t i) const {
    return std::launder(reinterpret_cast<const T*>(chunks_[i / kChunk].get()))[i % kChunk];
  }

  // A free slot (reset to T{}). Chunks are raw memory and a slot is built
  // the first time it is handed out: a table that holds a few sessions (a
  // small capture, a fuzz input, a worker's tunnel table) does not construct
  // and zero 4,096 of them up front, and the memory it never uses is never
  // touched.
  std::uint32_t acquire() {
    if (!free_.empty()) {
      const std::uint32_t i = free_.back();
      free_.pop_back();
      return i;
    }
    if (constructed_ == chunks_.size() * kChunk)
      chunks_.push_back(std::make_unique_for_overwrite<Storage[]>(kChunk));  // raw: not zeroed
    const std::uint32_t i = constructed_;
    new (&chunks_[i / kChunk][i % kChunk]) T();
    ++constructed_;
    return i;
  }
  void release(std::uint32_t i) {
    (*this)[i] = T{};
    free_.push_back(i);
  }

 private:
  struct Storage {
    alignas(T) unsigned char bytes[sizeof(T)];
  };
  std::vector<std::unique_ptr<Storage[]>> chunks_;
  std::uint32_t constructed_ = 0;  // slots [0, constructed_) hold a T
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

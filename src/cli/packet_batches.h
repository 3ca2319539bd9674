// Per-packet work on several threads, results in input order.
//
// The reader (the caller's thread) copies each packet into the open batch; a
// full batch goes to a worker; finished batches come back to the caller
// strictly in the order they were filled, so whatever a batch produced (the
// text of its packets, which of them matched) is written exactly as one
// thread would have written it: output does not depend on the thread count.
// At most two batches per worker are in flight, so memory is bounded however
// large the input.
//
// This suits work that needs nothing but the packet (decode, a header
// filter, printing). Work that needs a packet's history (sessions,
// application fields) shards by flow instead.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "pcapscope/capture.h"

namespace pcapscope::cli {

class PacketBatch {
 public:
  // Copies PKT (its bytes too: the reader's buffer moves on).
  void add(const Packet& pkt, std::int64_t first_ts_ns, std::size_t interfaces_known);
  std::size_t size() const { return packets_.size(); }
  std::size_t bytes() const { return bytes_.size(); }
  // Valid once the batch is sealed (the runner seals it before handing it over).
  const Packet& packet(std::size_t i) const { return packets_[i]; }
  std::int64_t first_ts_ns(std::size_t i) const { return extra_[i].first_ts_ns; }
  std::size_t interfaces_known(std::size_t i) const { return extra_[i].interfaces_known; }
  void seal();
  void clear();

  // Results, filled by the worker and read by the caller.
  std::string text;
  std::vector<std::uint8_t> keep;  // per packet: 1 if it matched

 private:
  struct Extra {
    std::int64_t first_ts_ns = 0;
    std::size_t interfaces_known = 0;
    std::size_t offset = 0;  // of its bytes in bytes_
  };
  std::vector<Packet> packets_;
  std::vector<Extra> extra_;
  std::vector<std::uint8_t> bytes_;
};

class PacketBatches {
 public:
  // WORK(worker, batch) runs on worker thread WORKER (0 .. workers-1; each
  // has its own state in the caller's hands); DONE(batch) runs on the
  // caller's thread, in order.
  using Work = std::function<void(unsigned worker, PacketBatch&)>;
  using Done = std::function<void(PacketBatch&)>;
  PacketBatches(unsigned workers, Work work, Done done);
  ~PacketBatches();
  PacketBatches(const PacketBatches&) = delete;
  PacketBatches& operator=(const PacketBatches&) = delete;

  void add(const Packet& pkt, std::int64_t first_ts_ns, std::size_t interfaces_known);
  // Hands over the last batch and waits for every result. A worker's
  // exception is rethrown here (or by add()).
  void finish();

 private:
  static constexpr std::size_t kBatchPackets = 2048;
  static constexpr std::size_t kBatchBytes = 2u << 20;

  struct Slot {
    PacketBatch batch;
    bool done = false;
  };
  void submit();
  void drain(std::size_t keep_in_flight);
  void worker_loop(unsigned id);

  Work work_;
  Done done_;
  std::size_t max_in_flight_;
  std::vector<std::unique_ptr<Slot>> owned_;  // every slot; the others point into these
  std::vector<Slot*> spare_;                   // free for the reader to fill
  Slot* open_ = nullptr;                       // being filled
  std::deque<Slot*> in_flight_;                // handed over, in submission order
  std::deque<Slot*> queue_;                    // handed over, not yet taken by a worker
  std::mutex mu_;
  std::condition_variable work_ready_, slot_done_;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

}  // namespace pcapscope::cli

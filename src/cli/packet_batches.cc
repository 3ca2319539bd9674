#include "cli/packet_batches.h"

#include <algorithm>

namespace pcapscope::cli {

void PacketBatch::add(const Packet& pkt, std::int64_t first_ts_ns, std::size_t interfaces_known) {
  extra_.push_back({first_ts_ns, interfaces_known, bytes_.size()});
  bytes_.insert(bytes_.end(), pkt.data.begin(), pkt.data.end());
  packets_.push_back(pkt);
}

void PacketBatch::seal() {
  // The byte buffer may have moved while it grew: spans are set once it is final.
  for (std::size_t i = 0; i < packets_.size(); ++i)
    packets_[i].data = Bytes(bytes_.data() + extra_[i].offset, packets_[i].data.size());
  keep.assign(packets_.size(), 0);
}

void PacketBatch::clear() {
  packets_.clear();
  extra_.clear();
  bytes_.clear();
  text.clear();
  keep.clear();
}

PacketBatches::PacketBatches(unsigned workers, Work work, Done done)
    : work_(std::move(work)), done_(std::move(done)), max_in_flight_(2 * std::size_t{std::max(workers, 1u)}) {
  for (std::size_t i = 0; i < max_in_flight_ + 1; ++i) {
    owned_.push_back(std::make_unique<Slot>());
    spare_.push_back(owned_.back().get());
  }
  open_ = spare_.back();
  spare_.pop_back();
  for (unsigned w = 0; w < std::max(workers, 1u); ++w) threads_.emplace_back([this, w] { worker_loop(w); });
}

PacketBatches::~PacketBatches() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& t : threads_) t.join();
}

void PacketBatches::add(const Packet& pkt, std::int64_t first_ts_ns, std::size_t interfaces_known) {
  open_->batch.add(pkt, first_ts_ns, interfaces_known);
  if (open_->batch.size() >= kBatchPackets || open_->batch.bytes() >= kBatchBytes) submit();
}

void PacketBatches::finish() {
  if (open_->batch.size() > 0) submit();
  drain(0);
}

void PacketBatches::submit() {
  open_->batch.seal();
  open_->done = false;
  {
    std::lock_guard lock(mu_);
    in_flight_.push_back(open_);
    queue_.push_back(open_);
  }
  work_ready_.notify_one();
  drain(max_in_flight_ - 1);  // frees a slot to fill next
  open_ = spare_.back();
  spare_.pop_back();
}

// Hands finished batches to DONE, oldest first, until at most KEEP are in flight.
void PacketBatches::drain(std::size_t keep) {
  while (true) {
    Slot* front = nullptr;
    {
      std::unique_lock lock(mu_);
      if (in_flight_.size() <= keep && !error_) return;
      slot_done_.wait(lock, [&] { return error_ || in_flight_.front()->done; });
      if (error_) std::rethrow_exception(error_);
      front = in_flight_.front();
      in_flight_.pop_front();
    }
    done_(front->batch);
    front->batch.clear();
    spare_.push_back(front);
  }
}

void PacketBatches::worker_loop(unsigned id) {
  while (true) {
    Slot* slot = nullptr;
    {
      std::unique_lock lock(mu_);
      work_ready_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      slot = queue_.front();
      queue_.pop_front();
    }
    try {
      work_(id, slot->batch);
    } catch (...) {
      std::lock_guard lock(mu_);
      if (!error_) error_ = std::current_exception();
    }
    {
      std::lock_guard lock(mu_);
      slot->done = true;
    }
    slot_done_.notify_all();
  }
}

}  // namespace pcapscope::cli

#include "cli/sharded_sessions.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace pcapscope::cli {

namespace {

constexpr std::size_t kBatchPackets = 4096;
constexpr std::size_t kBatchBytes = 4u << 20;
constexpr std::uint32_t kClockOnly = ~std::uint32_t{0};

// What one worker produced from one batch.
struct WorkerOutput {
  struct Started {
    std::uint64_t first_frame = 0, local_index = 0;
  };
  std::vector<Started> started;       // in the worker's start order
  std::vector<SessionRecord> ended;   // index: the worker's own
  std::vector<std::string> anomalies;
  void clear() {
    started.clear();
    ended.clear();
    anomalies.clear();
  }
};

struct Batch {
  struct Entry {
    Packet pkt;               // data set by seal()
    std::size_t offset = 0;   // of its bytes in `bytes`
    std::uint32_t shard = kClockOnly;
    bool first_fragment_only = false;
    std::array<char, 20> parent{};  // uid of the tunnel session around its innermost level
  };
  std::vector<Entry> entries;
  std::vector<std::uint8_t> bytes;
  std::vector<WorkerOutput> out;  // one per worker, then the reader's (tunnel sessions)
  bool finish = false;            // the end-of-input batch: workers end their sessions
  unsigned pending = 0;           // workers that have not finished it (under the runner's mutex)

  void add(const Packet& pkt, std::uint32_t shard, bool first_fragment_only, const std::array<char, 20>& parent) {
    Entry e;
    e.pkt = pkt;
    e.shard = shard;
    e.first_fragment_only = first_fragment_only;
    e.parent = parent;
    if (shard != kClockOnly) {
      e.offset = bytes.size();
      bytes.insert(bytes.end(), pkt.data.begin(), pkt.data.end());
    } else {
      e.pkt.data = {};
    }
    entries.push_back(e);
  }
  void seal() {
    for (Entry& e : entries) e.pkt.data = Bytes(bytes.data() + e.offset, e.pkt.data.size());
  }
  void clear() {
    entries.clear();
    bytes.clear();
    for (WorkerOutput& o : out) o.clear();
    finish = false;
  }
};

// The end of a worker's session stage: it keeps what the caller needs.
class Collector final : public SessionObserver {
 public:
  WorkerOutput* out = &discard;  // the batch being processed
  WorkerOutput discard;          // between batches (nothing is reported there)

  void on_packet(const SessionRecord& rec, const DecodedPacket&, bool) override {
    // Local indices are given in start order, and a session's first packet
    // comes right after its start: the first sight of the next index is a start.
    if (rec.index != next_index_) return;
    out->started.push_back({rec.first_frame, rec.index});
    ++next_index_;
  }
  void on_session_end(const SessionRecord& rec) override { out->ended.push_back(rec); }
  void on_anomaly(const Packet&, std::string_view, std::string_view name) override {
    out->anomalies.emplace_back(name);
  }

 private:
  std::uint64_t next_index_ = 0;
};

// A session table with its protocol stage and collector: one per worker,
// and the reader's (fragments and tunnel sessions).
struct Worker {
  Worker(const SessionOptions& opt, bool protocols)
      : stage(protocols ? std::make_unique<ProtocolStage>(ProtocolOptions{}, nullptr, &collector) : nullptr),
        table(opt, stage ? static_cast<SessionObserver*>(stage.get()) : &collector) {}
  Collector collector;
  std::unique_ptr<ProtocolStage> stage;
  SessionTable table;
  DecodedPacket dec;
  std::size_t next_batch = 0;  // sequence number of the next batch to process
};

}  // namespace

class ShardedSessionsImpl {
 public:
  ShardedSessionsImpl(unsigned workers, const SessionOptions& options, bool protocols, SessionObserver& out)
      : out_(out), global_of_(workers + 1) {
    // Each of N+1 tables gets 1/N of the caps (the reader's holds only tunnels).
    SessionOptions per_worker = options;
    per_worker.max_sessions = std::max<std::size_t>(1, options.max_sessions / workers);
    per_worker.reassembly_memory = std::max<std::size_t>(1, options.reassembly_memory / workers);
    reader_ = std::make_unique<Worker>(per_worker, protocols);
    for (unsigned w = 0; w < workers; ++w) workers_.push_back(std::make_unique<Worker>(per_worker, protocols));
    // Two batches a worker in flight (one being read, one being filled) and the one being filled here.
    for (std::size_t i = 0; i < 2 * std::size_t{workers} + 1; ++i) {
      slots_.push_back(std::make_unique<Batch>());
      slots_.back()->out.resize(workers + 1);
      spare_.push_back(slots_.back().get());
    }
    open_ = take_spare();
    reader_->collector.out = &open_->out[workers];
    for (unsigned w = 0; w < workers; ++w) threads_.emplace_back([this, w] { run_worker(w); });
  }

  ~ShardedSessionsImpl() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    published_cv_.notify_all();
    for (auto& t : threads_) t.join();
  }

  void add(const Packet& pkt) {
    SessionTable& table = reader_->table;
    decode(pkt, reader_->dec);
    // Fragments are reassembled here, once, for every shard, and tunnels'
    // own sessions kept (SessionTable::process_outer_levels); this table's
    // clock moves with every packet too.
    table.advance_clock(pkt);
    const DecodedPacket* whole = nullptr;
    const SessionTable::Defrag d = table.defragment(reader_->dec, whole);
    const bool first_only = d == SessionTable::Defrag::kFirstFragmentOnly;
    SessionTable::InnerLevel inner;
    if (d != SessionTable::Defrag::kNothing) inner = table.process_outer_levels(*whole, first_only);
    if (inner.pending) {
      const auto shard = static_cast<std::uint32_t>(inner.shard_hash % workers_.size());
      open_->add(*whole->packet, shard, first_only, inner.parent);
    } else {
      open_->add(pkt, kClockOnly, false, inner.parent);
    }
    if (open_->entries.size() >= kBatchPackets || open_->bytes.size() >= kBatchBytes) publish();
  }

  SessionStats stats() const {
    SessionStats sum = reader_->table.stats();
    for (const auto& w : workers_) {
      const SessionStats& s = w->table.stats();
      sum.not_ip += s.not_ip;
      sum.unusable += s.unusable;
      sum.sessions += s.sessions;
      sum.timed_out += s.timed_out;
      sum.evicted += s.evicted;
      sum.reused += s.reused;
      sum.peak_live += s.peak_live;  // an upper bound: the workers' peaks need not coincide
      sum.anomalies += s.anomalies;
    }
    return sum;
  }

  void finish() {
    publish();
    reader_->table.finish();  // tunnel sessions end (into the batch being filled)
    open_->finish = true;
    publish();
    drain(0);
  }

 private:
  Batch* take_spare() {
    Batch* b = spare_.back();
    spare_.pop_back();
    return b;
  }

  void publish() {
    open_->seal();
    {
      std::lock_guard lock(mu_);
      open_->pending = static_cast<unsigned>(workers_.size());
      published_.push_back(open_);
    }
    published_cv_.notify_all();
    drain(slots_.size() - 1);  // keeps a slot free to fill next
    open_ = take_spare();
    reader_->collector.out = &open_->out[workers_.size()];
  }

  // Merges finished batches, oldest first, until at most KEEP are in flight.
  // A batch every worker has finished is no longer read by any of them.
  void drain(std::size_t keep) {
    while (true) {
      Batch* front = nullptr;
      {
        std::unique_lock lock(mu_);
        if (error_) std::rethrow_exception(error_);
        if (published_.size() <= keep) return;
        front = published_.front();
        done_cv_.wait(lock, [&] { return error_ || front->pending == 0; });
        if (error_) std::rethrow_exception(error_);
        published_.pop_front();
        ++base_;
      }
      merge(*front);
      front->clear();
      spare_.push_back(front);
    }
  }

  void merge(Batch& b) {
    // Sessions started in this batch, in frame order: the order one table
    // starts them in (a frame's own sessions, its tunnel levels, are all in
    // one worker, already in order).
    // The reader's go first: within a frame, its tunnel sessions are the
    // outer levels, which one table starts before the inner one.
    starts_.clear();
    const std::size_t reader = workers_.size();
    for (const auto& s : b.out[reader].started) starts_.push_back({s.first_frame, reader, s.local_index});
    for (std::size_t w = 0; w < reader; ++w)
      for (const auto& s : b.out[w].started) starts_.push_back({s.first_frame, w, s.local_index});
    std::stable_sort(starts_.begin(), starts_.end(),
                     [](const Start& x, const Start& y) { return x.first_frame < y.first_frame; });
    for (const Start& s : starts_) global_of_[s.worker].emplace(s.local_index, next_global_++);
    for (std::size_t w = 0; w < b.out.size(); ++w) {
      for (SessionRecord& rec : b.out[w].ended) {
        auto it = global_of_[w].find(rec.index);
        if (it != global_of_[w].end()) {
          rec.index = it->second;
          global_of_[w].erase(it);
        }
        out_.on_session_end(rec);
      }
      for (const std::string& name : b.out[w].anomalies) out_.on_anomaly(Packet{}, {}, name);
    }
  }

  void run_worker(unsigned id) {
    Worker& w = *workers_[id];
    while (true) {
      Batch* b = nullptr;
      {
        std::unique_lock lock(mu_);
        published_cv_.wait(lock, [&] { return stopping_ || w.next_batch < base_ + published_.size(); });
        if (w.next_batch >= base_ + published_.size()) return;  // stopping, nothing left
        b = published_[w.next_batch - base_];
      }
      try {
        process(w, id, *b);
      } catch (...) {
        std::lock_guard lock(mu_);
        if (!error_) error_ = std::current_exception();
      }
      {
        std::lock_guard lock(mu_);
        --b->pending;
        ++w.next_batch;
      }
      done_cv_.notify_all();
    }
  }

  static void process(Worker& w, unsigned id, Batch& b) {
    w.collector.out = &b.out[id];
    for (const Batch::Entry& e : b.entries) {
      w.table.advance_clock(e.pkt);
      if (e.shard != id) continue;
      decode(e.pkt, w.dec);
      w.table.process_innermost(w.dec, e.first_fragment_only, e.parent);
    }
    if (b.finish) w.table.finish();
    w.collector.out = &w.collector.discard;
  }

  struct Start {
    std::uint64_t first_frame = 0;
    std::size_t worker = 0;
    std::uint64_t local_index = 0;
  };

  SessionObserver& out_;
  std::vector<std::unique_ptr<Batch>> slots_;
  std::vector<Batch*> spare_;
  // After the batches: a table being destroyed may still report to its collector.
  std::unique_ptr<Worker> reader_;  // this thread's: fragments and tunnel sessions
  std::vector<std::unique_ptr<Worker>> workers_;
  Batch* open_ = nullptr;
  std::vector<Start> starts_;
  std::vector<std::unordered_map<std::uint64_t, std::uint64_t>> global_of_;  // per worker: local -> global index
  std::uint64_t next_global_ = 0;

  std::mutex mu_;
  std::condition_variable published_cv_, done_cv_;
  std::deque<Batch*> published_;  // published_[i] is batch number base_ + i
  std::size_t base_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

ShardedSessions::ShardedSessions(unsigned workers, const SessionOptions& options, bool protocols, SessionObserver& out)
    : impl_(std::make_unique<ShardedSessionsImpl>(std::max(workers, 1u), options, protocols, out)) {}
ShardedSessions::~ShardedSessions() = default;
void ShardedSessions::add(const Packet& pkt) { impl_->add(pkt); }
void ShardedSessions::finish() { impl_->finish(); }
SessionStats ShardedSessions::stats() const { return impl_->stats(); }

}  // namespace pcapscope::cli

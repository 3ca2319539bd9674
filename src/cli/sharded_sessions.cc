#include "cli/sharded_sessions.h"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <exception>
#include <limits>
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
// With one worker there is nothing to shard: it takes every packet whole
// (fragments, tunnels and all, SessionTable::process) and the reading thread
// only reads, which halves what the two threads would both do per packet.
constexpr std::uint32_t kWholePacket = kClockOnly - 1;

// What one table emitted while a batch went through it, in groups (see the
// header): events point into the per-kind arrays.
struct TableOutput {
  enum class Kind : std::uint8_t { kStart, kEnd, kDns, kHttp, kSsl, kSsh, kAnomaly, kProblem, kPacket };
  static constexpr std::uint8_t kIdle = 0, kPacket = 1, kEndOfInput = 2;  // phases
  struct Group {
    std::uint32_t entry = 0;  // the batch entry it belongs to (kEndOfInput: none)
    std::uint8_t phase = kIdle;
    // kIdle and kEndOfInput: the ended session's end order. A group without
    // one (fragments expiring or left partial) keeps the lowest: expire() ages
    // fragments first, and finish() drops what is left of them first.
    EndOrder order{std::numeric_limits<std::int64_t>::min(), 0, 0};
    std::uint32_t begin = 0, end = 0;  // its events
  };
  struct Event {
    Kind kind;
    std::uint32_t slot;  // in the array of its kind
  };
  struct Note {
    std::string uid, name;
  };
  struct KeptPacket {
    SessionRecord rec;
    Packet pkt;  // data: offset into packet_bytes until replayed
    std::size_t offset = 0;
    bool from_orig = false;
  };

  std::vector<Group> groups;
  std::vector<Event> events;
  std::vector<std::uint64_t> starts;  // local indices
  std::vector<SessionRecord> ends;
  std::vector<DnsLogRecord> dns;
  std::vector<HttpLogRecord> http;
  std::vector<SslLogRecord> ssl;
  std::vector<SshLogRecord> ssh;
  std::vector<Note> notes;
  std::vector<KeptPacket> packets;
  std::vector<std::uint8_t> packet_bytes;

  void clear() {
    groups.clear();
    events.clear();
    starts.clear();
    ends.clear();
    dns.clear();
    http.clear();
    ssl.clear();
    ssh.clear();
    notes.clear();
    packets.clear();
    packet_bytes.clear();
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
  std::vector<TableOutput> out;  // one per worker, then the reader's (tunnel sessions)
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
    for (TableOutput& o : out) o.clear();
    finish = false;
  }
};

// The end of a table's session and protocol stages: writes what they emit
// into the batch's TableOutput, grouped.
class Recorder final : public SessionObserver, public ProtocolObserver {
 public:
  Recorder(const ShardedOutputs& outputs) : keep_records_(outputs.records != nullptr), wants_(outputs.wants_packet) {}

  TableOutput* out = &discard_;  // the batch being processed
  // Between batches nothing is reported: out points here.
  void detach() {
    close();
    out = &discard_;
  }
  // What follows belongs to ENTRY of the batch, in PHASE.
  void at(std::uint32_t entry, std::uint8_t phase) {
    close();
    entry_ = entry;
    phase_ = phase;
  }

  void on_packet(const SessionRecord& rec, const DecodedPacket& pkt, bool from_orig) override {
    // Local indices are given in start order, and a session's first packet
    // comes right after its start: the first sight of the next index is a start.
    if (rec.index == next_index_) {
      append(TableOutput::Kind::kStart, out->starts.size());
      out->starts.push_back(rec.index);
      ++next_index_;
    }
    if (!wants_ || !pkt.packet || !wants_(rec, pkt, from_orig)) return;
    const Packet& p = *pkt.packet;
    append(TableOutput::Kind::kPacket, out->packets.size());
    out->packets.push_back({rec, p, out->packet_bytes.size(), from_orig});
    out->packet_bytes.insert(out->packet_bytes.end(), p.data.begin(), p.data.end());
  }
  void on_session_end(const SessionRecord& rec) override {
    append(TableOutput::Kind::kEnd, out->ends.size());
    out->ends.push_back(rec);
    if (phase_ == TableOutput::kPacket) return;
    out->groups.back().order = rec.end_order();
    close();  // one ended session (with the records its end flushed) a group
  }
  void on_anomaly(const Packet&, std::string_view uid, std::string_view name) override {
    append(TableOutput::Kind::kAnomaly, out->notes.size());
    out->notes.push_back({std::string(uid), std::string(name)});
    // Fragments expiring, or left partial at the end of input (no uid): their
    // own group, first of the phase, as one table reports them first.
    if (phase_ != TableOutput::kPacket && uid.empty()) close();
  }
  void on_dns(const DnsLogRecord& r) override { keep(TableOutput::Kind::kDns, out->dns, r); }
  void on_http(const HttpLogRecord& r) override { keep(TableOutput::Kind::kHttp, out->http, r); }
  void on_ssl(const SslLogRecord& r) override { keep(TableOutput::Kind::kSsl, out->ssl, r); }
  void on_ssh(const SshLogRecord& r) override { keep(TableOutput::Kind::kSsh, out->ssh, r); }
  void on_problem(std::string_view uid, std::string_view name) override {
    if (!keep_records_) return;
    append(TableOutput::Kind::kProblem, out->notes.size());
    out->notes.push_back({std::string(uid), std::string(name)});
  }

 private:
  template <class R>
  void keep(TableOutput::Kind kind, std::vector<R>& into, const R& r) {
    if (!keep_records_) return;
    append(kind, into.size());
    into.push_back(r);
  }
  void append(TableOutput::Kind kind, std::size_t slot) {
    if (!open_) {
      TableOutput::Group g;
      g.entry = entry_;
      g.phase = phase_;
      g.begin = g.end = static_cast<std::uint32_t>(out->events.size());
      out->groups.push_back(g);
      open_ = true;
    }
    out->events.push_back({kind, static_cast<std::uint32_t>(slot)});
    out->groups.back().end = static_cast<std::uint32_t>(out->events.size());
  }
  void close() { open_ = false; }

  bool keep_records_;
  const std::function<bool(const SessionRecord&, const DecodedPacket&, bool)>& wants_;
  TableOutput discard_;
  std::uint64_t next_index_ = 0;
  std::uint32_t entry_ = 0;
  std::uint8_t phase_ = TableOutput::kIdle;
  bool open_ = false;
};

// A session table with its protocol stage and recorder: one per worker,
// and the reader's (fragments and tunnel sessions).
struct Worker {
  Worker(const SessionOptions& opt, bool protocols, const ShardedOutputs& outputs)
      : recorder(outputs),
        stage(protocols ? std::make_unique<ProtocolStage>(ProtocolOptions{}, outputs.records ? &recorder : nullptr,
                                                          &recorder)
                        : nullptr),
        table(opt, stage ? static_cast<SessionObserver*>(stage.get()) : &recorder) {}
  Recorder recorder;
  std::unique_ptr<ProtocolStage> stage;
  SessionTable table;
  DecodedPacket dec;
  std::size_t next_batch = 0;  // sequence number of the next batch to process
};

}  // namespace

class ShardedSessionsImpl {
 public:
  ShardedSessionsImpl(unsigned workers, const SessionOptions& options, bool protocols, ShardedOutputs out)
      : out_(std::move(out)), global_of_(workers + 1) {
    // Each of N+1 tables gets 1/N of the caps (the reader's holds only tunnels).
    SessionOptions per_worker = options;
    per_worker.max_sessions = std::max<std::size_t>(1, options.max_sessions / workers);
    per_worker.reassembly_memory = std::max<std::size_t>(1, options.reassembly_memory / workers);
    reader_ = std::make_unique<Worker>(per_worker, protocols, out_);
    for (unsigned w = 0; w < workers; ++w) workers_.push_back(std::make_unique<Worker>(per_worker, protocols, out_));
    // Two batches a worker in flight (one being read, one being filled) and the one being filled here.
    for (std::size_t i = 0; i < 2 * std::size_t{workers} + 1; ++i) {
      slots_.push_back(std::make_unique<Batch>());
      slots_.back()->out.resize(workers + 1);
      spare_.push_back(slots_.back().get());
    }
    open_ = take_spare();
    reader_->recorder.out = &open_->out[workers];
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
    if (workers_.size() == 1) {
      open_->add(pkt, kWholePacket, false, {});
      if (open_->entries.size() >= kBatchPackets || open_->bytes.size() >= kBatchBytes) publish();
      return;
    }
    SessionTable& table = reader_->table;
    Recorder& rec = reader_->recorder;
    const auto entry = static_cast<std::uint32_t>(open_->entries.size());
    decode(pkt, reader_->dec);
    // Fragments are reassembled here, once, for every shard, and tunnels'
    // own sessions kept (SessionTable::process_outer_levels); this table's
    // clock moves with every packet too.
    rec.at(entry, TableOutput::kIdle);
    table.advance_clock(pkt);
    rec.at(entry, TableOutput::kPacket);
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
    reader_->recorder.at(kNoEntry, TableOutput::kEndOfInput);
    reader_->table.finish();  // tunnel sessions end (into the batch being filled)
    open_->finish = true;
    publish();
    drain(0);
  }

 private:
  static constexpr std::uint32_t kNoEntry = ~std::uint32_t{0};

  Batch* take_spare() {
    Batch* b = spare_.back();
    spare_.pop_back();
    return b;
  }

  void publish() {
    reader_->recorder.detach();
    open_->seal();
    {
      std::lock_guard lock(mu_);
      open_->pending = static_cast<unsigned>(workers_.size());
      published_.push_back(open_);
    }
    published_cv_.notify_all();
    drain(slots_.size() - 1);  // keeps a slot free to fill next
    open_ = take_spare();
    reader_->recorder.out = &open_->out[workers_.size()];
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

  // Source S's place among tables at one packet: the reader's (outer levels) first.
  std::size_t rank(std::size_t source) const { return source == workers_.size() ? 0 : source + 1; }

  bool before(std::size_t s1, const TableOutput::Group& a, std::size_t s2, const TableOutput::Group& b) const {
    if (a.phase == TableOutput::kEndOfInput || b.phase == TableOutput::kEndOfInput) {
      if (a.phase != b.phase) return b.phase == TableOutput::kEndOfInput;
    } else {
      if (a.entry != b.entry) return a.entry < b.entry;
      if (a.phase != b.phase) return a.phase < b.phase;
    }
    if (a.phase != TableOutput::kPacket && a.order != b.order) return a.order < b.order;
    return rank(s1) < rank(s2);
  }

  // Replays the batch's groups in the order one table would have emitted them:
  // each table's groups are in that order already, so this merges them.
  void merge(Batch& b) {
    cursor_.assign(b.out.size(), 0);
    while (true) {
      std::size_t best = b.out.size();
      for (std::size_t s = 0; s < b.out.size(); ++s) {
        if (cursor_[s] >= b.out[s].groups.size()) continue;
        if (best == b.out.size() ||
            before(s, b.out[s].groups[cursor_[s]], best, b.out[best].groups[cursor_[best]]))
          best = s;
      }
      if (best == b.out.size()) return;
      replay(best, b.out[best], b.out[best].groups[cursor_[best]++]);
    }
  }

  void replay(std::size_t source, TableOutput& o, const TableOutput::Group& g) {
    auto& global_of = global_of_[source];
    for (std::uint32_t e = g.begin; e < g.end; ++e) {
      const TableOutput::Event ev = o.events[e];
      switch (ev.kind) {
        case TableOutput::Kind::kStart: global_of.emplace(o.starts[ev.slot], next_global_++); break;
        case TableOutput::Kind::kEnd: {
          SessionRecord& rec = o.ends[ev.slot];
          if (auto it = global_of.find(rec.index); it != global_of.end()) {
            rec.index = it->second;
            global_of.erase(it);
          }
          out_.sessions->on_session_end(rec);
          break;
        }
        case TableOutput::Kind::kDns: out_.records->on_dns(o.dns[ev.slot]); break;
        case TableOutput::Kind::kHttp: out_.records->on_http(o.http[ev.slot]); break;
        case TableOutput::Kind::kSsl: out_.records->on_ssl(o.ssl[ev.slot]); break;
        case TableOutput::Kind::kSsh: out_.records->on_ssh(o.ssh[ev.slot]); break;
        case TableOutput::Kind::kAnomaly:
          out_.sessions->on_anomaly(Packet{}, o.notes[ev.slot].uid, o.notes[ev.slot].name);
          break;
        case TableOutput::Kind::kProblem: out_.records->on_problem(o.notes[ev.slot].uid, o.notes[ev.slot].name); break;
        case TableOutput::Kind::kPacket: {
          TableOutput::KeptPacket& k = o.packets[ev.slot];
          if (auto it = global_of.find(k.rec.index); it != global_of.end()) k.rec.index = it->second;
          k.pkt.data = Bytes(o.packet_bytes.data() + k.offset, k.pkt.data.size());
          decode(k.pkt, replay_dec_);
          out_.sessions->on_packet(k.rec, replay_dec_, k.from_orig);
          break;
        }
      }
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
    Recorder& rec = w.recorder;
    rec.out = &b.out[id];
    for (std::size_t i = 0; i < b.entries.size(); ++i) {
      const Batch::Entry& e = b.entries[i];
      rec.at(static_cast<std::uint32_t>(i), TableOutput::kIdle);
      if (e.shard == kWholePacket) {  // one table for everything: its own order is the order
        decode(e.pkt, w.dec);
        w.table.process(w.dec);
        continue;
      }
      w.table.advance_clock(e.pkt);
      if (e.shard != id) continue;
      rec.at(static_cast<std::uint32_t>(i), TableOutput::kPacket);
      decode(e.pkt, w.dec);
      w.table.process_innermost(w.dec, e.first_fragment_only, e.parent);
    }
    if (b.finish) {
      rec.at(kNoEntry, TableOutput::kEndOfInput);
      w.table.finish();
    }
    rec.detach();
  }

  ShardedOutputs out_;
  std::vector<std::unique_ptr<Batch>> slots_;
  std::vector<Batch*> spare_;
  // After the batches: a table being destroyed may still report to its recorder.
  std::unique_ptr<Worker> reader_;  // this thread's: fragments and tunnel sessions
  std::vector<std::unique_ptr<Worker>> workers_;
  Batch* open_ = nullptr;
  std::vector<std::size_t> cursor_;
  std::vector<std::unordered_map<std::uint64_t, std::uint64_t>> global_of_;  // per table: local -> global index
  std::uint64_t next_global_ = 0;
  DecodedPacket replay_dec_;

  std::mutex mu_;
  std::condition_variable published_cv_, done_cv_;
  std::deque<Batch*> published_;  // published_[i] is batch number base_ + i
  std::size_t base_ = 0;
  bool stopping_ = false;
  std::exception_ptr error_;
  std::vector<std::thread> threads_;
};

ShardedSessions::ShardedSessions(unsigned workers, const SessionOptions& options, bool protocols, ShardedOutputs out)
    : impl_(std::make_unique<ShardedSessionsImpl>(std::max(workers, 1u), options, protocols, std::move(out))) {}
ShardedSessions::~ShardedSessions() = default;
void ShardedSessions::add(const Packet& pkt) { impl_->add(pkt); }
void ShardedSessions::finish() { impl_->finish(); }
SessionStats ShardedSessions::stats() const { return impl_->stats(); }

}  // namespace pcapscope::cli

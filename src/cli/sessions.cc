// `pcapscope sessions FILE...`: one conn record per session, in the order
// sessions started (default), or sorted by a field.
//
// Records finish in the order sessions end, not start. Start order is
// restored by a reorder buffer keyed by the session's start index: a record
// waits only for the sessions that started before it and are still open, so
// memory follows the number of open sessions and what started after the
// oldest of them, not the input size. One session open from start to end
// would still pin everything behind it, so the buffer has a cap: past it,
// the records already finished are written (in start order, skipping the
// ones still open) and the stragglers follow as they end, with a note on
// stderr. --sort must hold every record.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/filter_options.h"
#include "cli/selection.h"
#include "cli/session_options.h"
#include "cli/sharded_sessions.h"
#include "cli/threads.h"
#include "core/edit_distance.h"
#include "output/session_writer.h"
#include "pcapscope/decode.h"
#include "pcapscope/proto.h"
#include "pcapscope/session.h"

namespace pcapscope::cli {
namespace {

struct SessionsOptions {
  std::vector<std::string> files;
  std::string format = "text";
  std::string sort;
  bool desc = false;
  std::optional<std::uint64_t> limit;
  bool no_protocols = false;
  std::string where;
  std::string bpf;  // capture filter (--bpf)
  unsigned threads = 0;  // -j (0: PCAPSCOPE_THREADS or every core)
  ConfigFlags flags;
};

class RecordSink final : public SessionObserver {
 public:
  RecordSink(const SessionsOptions& opt, SessionWriter& writer, const filter::Filter* where)
      : opt_(opt), writer_(writer), where_(where) {
    if (!opt.sort.empty()) less_ = session_sort(opt.sort);
  }

  void on_session_end(const SessionRecord& rec) override {
    if (less_) {
      if (!where_ || where_->matches(rec)) all_.push_back(rec);
      return;
    }
    if (rec.index < base_) {  // a straggler whose place was given up (see drain_over_cap)
      emit(rec);
      return;
    }
    const std::uint64_t pos = rec.index - base_;
    if (pending_.size() <= pos) pending_.resize(pos + 1);
    pending_[pos] = rec;
    while (!pending_.empty() && pending_.front()) {
      emit(*pending_.front());
      pending_.pop_front();
      ++base_;
    }
    if (pending_.size() > kMaxPending) drain_over_cap();
  }

  // Writes every finished record held, in start order; those still open lose
  // their place and are written when they end.
  void drain_over_cap() {
    if (!warned_) {
      fmt::print(stderr,
                 "pcapscope: sessions: over {} sessions waited on older ones still open; from here on some "
                 "records are written when they end rather than in start order\n",
                 kMaxPending);
      warned_ = true;
    }
    for (auto& slot : pending_) {
      if (slot) emit(*slot);
    }
    base_ += pending_.size();
    pending_.clear();
  }

  void on_anomaly(const Packet&, std::string_view, std::string_view name) override {
    auto it = anomalies_.find(name);
    if (it == anomalies_.end()) it = anomalies_.emplace(std::string(name), 0).first;
    ++it->second;
  }
  const std::map<std::string, std::uint64_t, std::less<>>& anomalies() const { return anomalies_; }

  void finish() {
    if (!less_) return;  // the reorder buffer drained as the last sessions ended
    // Ties in start order: records arrive in the order sessions end, which
    // is not the same with several threads.
    auto cmp = [this](const SessionRecord& a, const SessionRecord& b) {
      if (opt_.desc ? less_(b, a) : less_(a, b)) return true;
      if (opt_.desc ? less_(a, b) : less_(b, a)) return false;
      return a.index < b.index;
    };
    std::sort(all_.begin(), all_.end(), cmp);
    for (const SessionRecord& r : all_) emit(r);
  }

 private:
  void emit(const SessionRecord& r) {
    if (where_ && !less_ && !where_->matches(r)) return;
    if (opt_.limit && emitted_ >= *opt_.limit) return;
    ++emitted_;
    buf_.clear();
    writer_.write(r, buf_);
    Stdout::write(buf_);
  }

  const SessionsOptions& opt_;
  SessionWriter& writer_;
  const filter::Filter* where_;
  SessionLess less_;
  std::vector<SessionRecord> all_;
  static constexpr std::size_t kMaxPending = 1'000'000;  // ~300 MB of records at most
  std::deque<std::optional<SessionRecord>> pending_;
  bool warned_ = false;
  std::uint64_t base_ = 0;
  std::uint64_t emitted_ = 0;
  std::string buf_;
  std::map<std::string, std::uint64_t, std::less<>> anomalies_;  // by name, reported at the end
};

int run(const SessionsOptions& opt) {
  if (!opt.sort.empty() && !session_sort(opt.sort)) {
    std::vector<std::string_view> names;
    for (const SessionField& f : session_fields()) names.push_back(f.name);
    names.push_back("pkts");
    names.push_back("bytes");
    std::string why = fmt::format("unknown field \"{}\"", opt.sort);
    if (auto s = closest_match(opt.sort, names)) why += fmt::format(" (did you mean {}?)", *s);
    die("--sort", why);
  }
  const config::Config config = resolve_config(opt.flags);
  const SessionOptions sopt = session_options_from_config(config);
  // One thread unless asked: on 2 cores the sharded stage measured slower
  // than one table (0.87 s vs 1.10 s on the 8x bench capture), the reading
  // thread being a third of the work. -j N / PCAPSCOPE_THREADS opt in.
  const unsigned threads = resolve_threads(opt.threads, /*unset=*/1);
  Timeline tl = open_inputs(opt.files, reading_options(config, opt.bpf));
  Packet pkt;
  const bool any = tl.next(pkt);
  SessionWriterOptions wopt;
  wopt.format = parse_record_format(opt.format);
  // Zeek's #open line carries the first packet's time, so output is reproducible.
  if (any) wopt.open_ts_ns = pkt.ts_ns;
  auto writer = make_session_writer(wopt);
  const std::optional<filter::Filter> where = compile_filter_or_die(opt.where, filter::Subject::kConn);
  RecordSink sink(opt, *writer, where ? &*where : nullptr);
  // The protocol stage fills `service` and marks port mismatches; without it
  // (--no-protocols) sessions are the flow table alone, for speed.
  ProtocolStage stage(ProtocolOptions{}, nullptr, &sink);
  SessionTable table(sopt, opt.no_protocols ? static_cast<SessionObserver*>(&sink) : &stage);
  std::string out;
  writer->begin(out);
  Stdout::write(out);

  SessionStats st;
  if (threads > 1) {
    ShardedSessions sharded(threads - 1, sopt, !opt.no_protocols, ShardedOutputs{&sink, nullptr, {}});
    for (bool have = any; have; have = tl.next(pkt)) sharded.add(pkt);
    sharded.finish();
    st = sharded.stats();
  } else {
    feed_sessions(tl, pkt, any, table);
    st = table.stats();
  }
  sink.finish();
  out.clear();
  writer->end(out);
  Stdout::write(out);
  Stdout::flush();
  report_damage(tl);
  if (!sink.anomalies().empty()) {
    std::string list;
    for (const auto& [name, n] : sink.anomalies()) list += fmt::format("{}{} {}", list.empty() ? "" : ", ", name, n);
    fmt::print(stderr, "pcapscope: sessions: anomalies seen: {}\n", list);
  }
  if (st.evicted > 0) {
    fmt::print(stderr,
               "pcapscope: sessions: {} sessions ended early because {} were live at once (raise --max-sessions or "
               "PCAPSCOPE_MAX_SESSIONS); they are reported with flag evicted\n",
               st.evicted, sopt.max_sessions);
  }
  return kExitOk;
}

}  // namespace

void add_sessions_command(CLI::App& app, int& exit_code) {
  auto opt = std::make_shared<SessionsOptions>();
  auto* cmd = app.add_subcommand("sessions", "One record per session (Zeek conn.log fields), in start order");
  cmd->add_option("files", opt->files, "Capture files, merged into one timeline by time (- for stdin)")->required();
  cmd->add_option("--format", opt->format, "Output format: text, json (JSON Lines), csv or zeek (Zeek TSV log)")
      ->check(CLI::IsMember({"text", "json", "jsonl", "csv", "zeek"}));
  cmd->add_option("--sort", opt->sort, "Sort by this field (ascending; see --desc), e.g. orig_bytes, duration, ts");
  cmd->add_flag("--desc", opt->desc, "With --sort: largest first");
  cmd->add_option("--limit", opt->limit, "Print at most N records");
  add_where_option(*cmd, opt->where, "session (conn)");
  cmd->add_flag("--no-protocols", opt->no_protocols,
                "Skip the protocol stage: no service identification (faster; service stays unset)");
  add_bpf_option(*cmd, opt->bpf);
  add_threads_option(*cmd, opt->threads, "1");
  add_session_flags(*cmd, opt->flags);
  cmd->callback([opt, &exit_code] { exit_code = run(*opt); });
}

}  // namespace pcapscope::cli

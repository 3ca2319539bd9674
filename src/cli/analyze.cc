// `pcapscope analyze FILE...`: the main job. One pass over the evidence
// builds sessions and protocol records, runs every detector, and writes a
// report for people (default), JSON Lines for a SIEM (--format jsonl),
// alerts as CSV (--format csv), and with --out-dir a case directory of Zeek
// logs, alerts.jsonl and report.txt.
//
// Pipeline: capture -> decode -> SessionTable -> ProtocolStage -> detect
// Engine -> Tee(record outputs, traffic summary). With -j N the session and
// protocol stages run sharded on N workers (cli/sharded_sessions.h), which
// hand their records back in the order one table gives; the detectors and
// outputs stay on this thread. The SHA-256 of each input
// is computed on a second thread while the main one analyses (the file is
// read twice, but the page cache serves the second read and the two cores
// work at once), so chain-of-custody hashing adds little to the wall time.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/analyze_outputs.h"
#include "cli/common.h"
#include "cli/filter_options.h"
#include "cli/pipeline.h"
#include "cli/progress.h"
#include "cli/selection.h"
#include "cli/session_options.h"
#include "cli/sharded_sessions.h"
#include "cli/threads.h"
#include "config/settings.h"
#include "core/evidence_file.h"
#include "detect/baseline.h"
#include "detect/engine.h"
#include "detect/geoip.h"
#include "output/alert_writer.h"
#include "output/report.h"
#include "pcapscope/decode.h"
#include "pcapscope/proto.h"
#include "pcapscope/session.h"

#ifndef PCAPSCOPE_VERSION
#define PCAPSCOPE_VERSION "dev"
#endif

namespace pcapscope::cli {
namespace {

struct AnalyzeOptions {
  std::vector<std::string> files;
  std::string format = "text";
  std::string out_dir;
  std::string fail_on;  // empty: never fail on alerts
  bool no_learn = false;
  bool no_hash = false;
  bool force = false;
  std::string bpf;  // capture filter (--bpf)
  std::string where;  // filter over the alerts (--where)
  unsigned threads = 0;  // -j (0: not given)
  ConfigFlags config;
};

// Alerts as the engine emits them: kept for the report and alerts.jsonl,
// and streamed at once in JSON Lines mode.
class AlertCollector final : public detect::AlertSink {
 public:
  AlertCollector(bool stream_json, const filter::Filter* where) : stream_json_(stream_json), where_(where) {}
  void emit(detect::Alert a) override {
    // --where narrows every view of the alerts alike: report, JSON Lines, CSV, alerts.jsonl and the exit code.
    if (where_ && !where_->matches_raw(filter::Subject::kAlert, &a)) return;
    if (stream_json_) {
      line_.clear();
      append_alert_json(line_, a);
      line_ += '\n';
      Stdout::write(line_);
    }
    alerts_.push_back(std::move(a));
  }
  std::vector<detect::Alert>& alerts() { return alerts_; }

 private:
  bool stream_json_;
  const filter::Filter* where_;
  std::string line_;
  std::vector<detect::Alert> alerts_;
};

// Session-stage anomalies by name, for the report's notes.
class AnomalyCounter final : public SessionObserver, public ProtocolObserver {
 public:
  void on_session_end(const SessionRecord&) override {}
  void on_anomaly(const Packet&, std::string_view, std::string_view name) override { ++counts_[std::string(name)]; }
  void on_problem(std::string_view, std::string_view name) override { ++problems_[std::string(name)]; }
  std::string summary() const {
    std::string s;
    for (const auto& [n, c] : counts_) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", n, c);
    for (const auto& [n, c] : problems_) s += fmt::format("{}{} {}", s.empty() ? "" : ", ", n, c);
    return s;
  }

 private:
  std::map<std::string, std::uint64_t> counts_, problems_;
};

std::vector<std::string> resolve_inputs(const AnalyzeOptions& opt) {
  if (!opt.files.empty()) return opt.files;
  const char* env = std::getenv("PCAPSCOPE_PCAP");
  if (env && *env) return {env};
  die("input", "no capture file given (name one, or set PCAPSCOPE_PCAP)");
}

// The directory for --out-dir: created if missing; refused when it holds an
// input (the evidence directory) unless --force says so.
void prepare_out_dir(const AnalyzeOptions& opt, const std::vector<std::string>& inputs) {
  std::error_code ec;
  std::filesystem::create_directories(opt.out_dir, ec);
  if (ec) die(opt.out_dir, ec.message());
  if (opt.force) return;
  for (const std::string& in : inputs) {
    if (in == "-") continue;
    const auto parent = std::filesystem::absolute(in, ec).parent_path();
    if (!ec && std::filesystem::equivalent(parent, opt.out_dir, ec)) {
      die(opt.out_dir, fmt::format("is the directory of the evidence {}; pcapscope does not write beside evidence "
                                   "unless told (--force)",
                                   in));
    }
  }
}

int run(const AnalyzeOptions& opt) {
  const std::vector<std::string> inputs = resolve_inputs(opt);
  const config::Config config = resolve_config(opt.config);
  const SessionOptions sopt = session_options_from_config(config);

  std::optional<detect::Severity> fail_on;
  if (!opt.fail_on.empty()) {
    fail_on = detect::parse_severity(opt.fail_on);
    if (!fail_on) die("--fail-on-alert", fmt::format("\"{}\": expected info, low, medium, high or critical", opt.fail_on));
  }
  const std::optional<filter::Filter> where = compile_filter_or_die(opt.where, filter::Subject::kAlert);
  if (!opt.out_dir.empty()) prepare_out_dir(opt, inputs);

  auto [baseline, geoip] = open_detect_stores(config, !opt.no_learn);

  Timeline tl = open_inputs(inputs, reading_options(config, opt.bpf));
  std::vector<EvidenceSummary> evidence(tl.file_count());
  Packet pkt;
  const bool any = tl.next(pkt);
  const std::int64_t open_ts = any ? pkt.ts_ns : 0;
  const bool jsonl = opt.format == "jsonl" || opt.format == "json";

  Tee tee;
  TrafficSummary traffic;
  AnomalyCounter anomalies;
  tee.add(static_cast<SessionObserver*>(&traffic));
  tee.add(static_cast<ProtocolObserver*>(&traffic));
  tee.add(static_cast<SessionObserver*>(&anomalies));
  tee.add(static_cast<ProtocolObserver*>(&anomalies));
  std::unique_ptr<JsonRecordStream> json;
  if (jsonl) {
    json = std::make_unique<JsonRecordStream>();
    tee.add(static_cast<SessionObserver*>(json.get()));
    tee.add(static_cast<ProtocolObserver*>(json.get()));
  }
  std::unique_ptr<ZeekLogDir> logs;
  if (!opt.out_dir.empty()) {
    logs = std::make_unique<ZeekLogDir>(opt.out_dir, opt.force, open_ts);
    tee.add(static_cast<SessionObserver*>(logs.get()));
    tee.add(static_cast<ProtocolObserver*>(logs.get()));
  }

  AlertCollector alerts(jsonl, where ? &*where : nullptr);
  detect::Engine engine(config, config.networks("internal"), config.networks("whitelist"), alerts,
                        baseline.get(), geoip.get(), &tee, &tee);
  // One thread unless asked (-j N / PCAPSCOPE_THREADS): on this project's
  // 2-core machine the sharded stages measured slower than one (1.69 s vs
  // 1.47 s on the 8x bench capture): the thread that reads, decodes, runs the
  // detectors and writes is most of the work, and hands-off cost more than
  // the workers save. Output is the same byte for byte either way.
  const unsigned threads = resolve_threads(opt.threads, /*unset=*/1);

  // Hashing runs beside the analysis (see the file comment). It starts only once every output is open:
  // die() on an output error must not exit under a running thread.
  std::future<std::vector<std::string>> hashes;
  if (!opt.no_hash) hashes = hash_inputs(inputs);

  Progress progress("analyze", total_size(inputs));
  std::uint64_t done_bytes = 0;
  auto account = [&](const Packet& p) {
    EvidenceSummary& e = evidence[p.source];
    if (e.packets == 0) e.first_ns = e.last_ns = e.prev_ns = p.ts_ns;
    if (p.ts_ns < e.prev_ns) {
      ++e.steps_back;
      std::int64_t step = 0;
      if (__builtin_sub_overflow(e.prev_ns, p.ts_ns, &step)) step = std::numeric_limits<std::int64_t>::max();
      e.largest_step_back_ns = std::max(e.largest_step_back_ns, step);
    }
    e.prev_ns = p.ts_ns;
    ++e.packets;
    e.captured_bytes += p.data.size();
    e.first_ns = std::min(e.first_ns, p.ts_ns);
    e.last_ns = std::max(e.last_ns, p.ts_ns);
    done_bytes += p.data.size() + 16;
    progress.tick(done_bytes);
  };
  SessionStats session_stats;
  if (threads > 1) {
    // Sessions and protocols on THREADS workers; the detectors and outputs
    // here, fed in the order one table gives (cli/sharded_sessions.h).
    ShardedOutputs outs{&engine, &engine, [&engine](const SessionRecord& r, const DecodedPacket& p, bool o) {
                          return engine.wants_packet(r, p, o);
                        }};
    ShardedSessions sharded(threads - 1, sopt, true, std::move(outs));
    for (bool have = any; have; have = tl.next(pkt)) {
      account(pkt);
      sharded.add(pkt);
    }
    sharded.finish();
    session_stats = sharded.stats();
  } else {
    ProtocolStage stage(ProtocolOptions{}, &engine, &engine);
    SessionTable table(sopt, &stage);
    DecodedPacket dp;
    for (bool have = any; have; have = tl.next(pkt)) {
      account(pkt);
      decode(pkt, dp);
      table.process(dp);
    }
    table.finish();
    session_stats = table.stats();
  }
  engine.finish();
  progress.done();

  std::int64_t first = std::numeric_limits<std::int64_t>::max(), last = std::numeric_limits<std::int64_t>::min();
  for (std::size_t i = 0; i < evidence.size(); ++i) {
    evidence[i].file = tl.summary(i);
    if (evidence[i].packets) {
      first = std::min(first, evidence[i].first_ns);
      last = std::max(last, evidence[i].last_ns);
    }
  }
  if (hashes.valid()) {
    const std::vector<std::string> h = hashes.get();
    for (std::size_t i = 0; i < evidence.size() && i < h.size(); ++i) evidence[i].sha256 = h[i];
  }

  std::vector<std::string> notes;
  if (!baseline) {
    notes.push_back("baseline: none (neither PCAPSCOPE_BASELINE, XDG_DATA_HOME nor HOME is set): nothing "
                    "remembered across runs");
  } else if (!opt.no_learn) {
    detect::RunInfo info;
    for (const EvidenceSummary& e : evidence) info.files.push_back({e.file.path, e.sha256});
    if (any) {
      info.first_ns = first;
      info.last_ns = last;
    }
    info.version = PCAPSCOPE_VERSION;
    auto c = baseline->commit(info);
    if (!c) die("baseline", c.error().message);
    notes.push_back(fmt::format("baseline: {}", baseline->stats()));
  } else {
    notes.push_back(fmt::format("baseline: {} (--no-learn: nothing written)", baseline->stats()));
  }
  if (!config.text("geoip_db").empty()) notes.push_back(fmt::format("geoip: {}", config.text("geoip_db")));
  const std::string anomaly_list = anomalies.summary();
  if (!anomaly_list.empty()) notes.push_back("anomalies: " + anomaly_list);
  if (session_stats.evicted > 0) {
    notes.push_back(fmt::format("{} sessions ended early because {} were live at once (max_sessions)",
                                session_stats.evicted, sopt.max_sessions));
  }

  std::vector<detect::Alert>& list = alerts.alerts();
  std::stable_sort(list.begin(), list.end(), alert_report_less);
  ReportInputs rin;
  rin.evidence = &evidence;
  rin.traffic = &traffic;
  rin.alerts = &list;
  rin.whitelisted = engine.stats().whitelisted;
  for (const auto& d : engine.detectors()) {
    const std::string s = d->stats();
    if (!s.empty()) rin.detector_notes.push_back(fmt::format("{}: {}", d->name(), s));
  }
  rin.notes = notes;

  std::string out;
  if (jsonl) {
    for (const EvidenceSummary& e : evidence) {
      append_evidence_json(out, e);
      out += '\n';
    }
  } else if (opt.format == "csv") {
    append_alert_csv_header(out);
    for (const detect::Alert& a : list) append_alert_csv(out, a);
  } else {
    append_report(out, rin);
  }
  Stdout::write(out);

  if (logs) {
    logs->close();
    OutFile alerts_file(opt.out_dir + "/alerts.jsonl", opt.force);
    std::string buf;
    for (const detect::Alert& a : list) {
      buf.clear();
      append_alert_json(buf, a);
      buf += '\n';
      alerts_file.write(buf);
    }
    alerts_file.close();
    OutFile report_file(opt.out_dir + "/report.txt", opt.force);
    buf.clear();
    append_report(buf, rin);
    report_file.write(buf);
    report_file.close();
  }
  Stdout::flush();
  report_damage(tl);

  if (fail_on) {
    for (const detect::Alert& a : list) {
      if (a.severity >= *fail_on) return kExitAlerts;
    }
  }
  return kExitOk;
}

}  // namespace

void add_analyze_command(CLI::App& app, int& exit_code) {
  auto opt = std::make_shared<AnalyzeOptions>();
  auto* cmd = app.add_subcommand("analyze",
                                 "The main job: sessions, protocol records and every detector in one pass; a "
                                 "forensic report, JSON Lines for a SIEM, or a case directory of Zeek logs");
  cmd->add_option("files", opt->files,
                  "Capture files, merged into one timeline by time (- for stdin; default: PCAPSCOPE_PCAP)");
  cmd->add_option("--format", opt->format,
                  "Output: text (the report), jsonl (every record and alert, JSON Lines), csv (alerts)")
      ->check(CLI::IsMember({"text", "json", "jsonl", "csv"}));
  cmd->add_option("--out-dir", opt->out_dir,
                  "Also write conn.log, dns.log, http.log, ssl.log, ssh.log (Zeek TSV), alerts.jsonl and report.txt "
                  "into DIR (created if missing)");
  cmd->add_flag("--fail-on-alert{info}", opt->fail_on,
                "Exit 1 when an alert fired; --fail-on-alert=SEVERITY: at or above SEVERITY "
                "(info, low, medium, high, critical)");
  cmd->add_flag("--no-learn", opt->no_learn, "Read the baseline but do not add this run's observations to it");
  cmd->add_flag("--no-hash", opt->no_hash, "Skip the SHA-256 of the inputs");
  cmd->add_flag("--force", opt->force, "Overwrite files in --out-dir, and allow it to be the evidence's directory");
  add_bpf_option(*cmd, opt->bpf);
  add_where_option(*cmd, opt->where, "alert");
  add_threads_option(*cmd, opt->threads, "1");
  add_config_flags(*cmd, opt->config, {"exfil_ratio", "exfil_min_bytes", "whitelist", "internal", "baseline",
                                       "geoip_db"});
  cmd->callback([opt, &exit_code] { exit_code = run(*opt); });
}

}  // namespace pcapscope::cli

// `pcapscope dns|http|tls|ssh FILE...`: the application records of one
// protocol (Zeek's dns.log, http.log, ssl.log, ssh.log fields) from the
// protocol stage over the session stage.
//
// Records are written as the stage completes them (a DNS query when its
// answer arrives or the session ends, an HTTP transaction when its response
// ends ...), which is close to but not exactly time order; Zeek's logs are
// the same. Every protocol is still identified and parsed, whichever one is
// written: the stage needs to see every session to tell them apart.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/selection.h"
#include "cli/filter_options.h"
#include "cli/session_options.h"
#include "output/proto_writer.h"
#include "pcapscope/decode.h"
#include "pcapscope/proto.h"
#include "pcapscope/session.h"

namespace pcapscope::cli {
namespace {

struct ProtoLogOptions {
  std::vector<std::string> files;
  std::string format = "text";
  std::string where;
  std::string bpf;  // capture filter (--bpf)
  ConfigFlags flags;
};

filter::Subject subject_of(ProtoLog log) {
  switch (log) {
    case ProtoLog::kDns: return filter::Subject::kDns;
    case ProtoLog::kHttp: return filter::Subject::kHttp;
    case ProtoLog::kSsl: return filter::Subject::kSsl;
    case ProtoLog::kSsh: break;
  }
  return filter::Subject::kSsh;
}

using Counts = std::map<std::string, std::uint64_t, std::less<>>;

void count(Counts& counts, std::string_view name) {
  auto it = counts.find(name);
  if (it == counts.end()) it = counts.emplace(std::string(name), 0).first;
  ++it->second;
}

std::string joined(const Counts& counts) {
  std::string list;
  for (const auto& [name, n] : counts) list += fmt::format("{}{} {}", list.empty() ? "" : ", ", name, n);
  return list;
}

// Writes the records of the command's log as they come; the writer ignores the others.
class RecordSink final : public ProtocolObserver {
 public:
  RecordSink(ProtoWriter& writer, const filter::Filter* where) : writer_(writer), where_(where) {}
  void on_dns(const DnsLogRecord& r) override { emit(r); }
  void on_http(const HttpLogRecord& r) override { emit(r); }
  void on_ssl(const SslLogRecord& r) override { emit(r); }
  void on_ssh(const SshLogRecord& r) override { emit(r); }
  void on_problem(std::string_view, std::string_view name) override { count(problems_, name); }
  const Counts& problems() const { return problems_; }

 private:
  template <class R>
  void emit(const R& r) {
    // A filter is compiled for this command's record type; records of other types never match it and
    // the writer would drop them anyway.
    if (where_ && !where_->matches(r)) return;
    buf_.clear();
    writer_.write(r, buf_);
    Stdout::write(buf_);
  }
  ProtoWriter& writer_;
  const filter::Filter* where_;
  std::string buf_;
  Counts problems_;  // by name, reported at the end
};

// Behind the protocol stage: the session stage's anomalies, reported at the end as `sessions` does.
class AnomalySink final : public SessionObserver {
 public:
  void on_session_end(const SessionRecord&) override {}
  void on_anomaly(const Packet&, std::string_view, std::string_view name) override { count(anomalies_, name); }
  const Counts& anomalies() const { return anomalies_; }

 private:
  Counts anomalies_;
};

int run(std::string_view command, ProtoLog log, const ProtoLogOptions& opt) {
  const config::Config config = resolve_config(opt.flags);
  const SessionOptions sopt = session_options_from_config(config);
  Timeline tl = open_inputs(opt.files, reading_options(config, opt.bpf));
  Packet pkt;
  const bool any = tl.next(pkt);
  ProtoWriterOptions wopt;
  wopt.format = parse_record_format(opt.format);
  // Zeek's #open line carries the first packet's time, so output is reproducible.
  if (any) wopt.open_ts_ns = pkt.ts_ns;
  auto writer = make_proto_writer(log, wopt);
  const std::optional<filter::Filter> where = compile_filter_or_die(opt.where, subject_of(log));
  RecordSink records(*writer, where ? &*where : nullptr);
  AnomalySink anomalies;
  ProtocolStage stage(ProtocolOptions{}, &records, &anomalies);
  SessionTable table(sopt, &stage);
  std::string out;
  writer->begin(out);
  Stdout::write(out);

  feed_sessions(tl, pkt, any, table);
  out.clear();
  writer->end(out);
  Stdout::write(out);
  Stdout::flush();
  report_damage(tl);
  if (!anomalies.anomalies().empty())
    fmt::print(stderr, "pcapscope: {}: anomalies seen: {}\n", command, joined(anomalies.anomalies()));
  if (!records.problems().empty())
    fmt::print(stderr, "pcapscope: {}: protocol problems seen: {}\n", command, joined(records.problems()));
  const SessionStats& st = table.stats();
  if (st.evicted > 0) {
    fmt::print(stderr,
               "pcapscope: {}: {} sessions ended early because {} were live at once (raise --max-sessions or "
               "PCAPSCOPE_MAX_SESSIONS); their records may be incomplete\n",
               command, st.evicted, sopt.max_sessions);
  }
  return kExitOk;
}

void add_command(CLI::App& app, int& exit_code, const char* name, ProtoLog log, const char* description) {
  auto opt = std::make_shared<ProtoLogOptions>();
  auto* cmd = app.add_subcommand(name, description);
  cmd->add_option("files", opt->files, "Capture files, merged into one timeline by time (- for stdin)")->required();
  cmd->add_option("--format", opt->format, "Output format: text, json (JSON Lines), csv or zeek (Zeek TSV log)")
      ->check(CLI::IsMember({"text", "json", "jsonl", "csv", "zeek"}));
  add_where_option(*cmd, opt->where, name);
  add_bpf_option(*cmd, opt->bpf);
  add_session_flags(*cmd, opt->flags);
  cmd->callback([opt, &exit_code, name, log] { exit_code = run(name, log, *opt); });
}

}  // namespace

void add_proto_log_commands(CLI::App& app, int& exit_code) {
  add_command(app, exit_code, "dns", ProtoLog::kDns,
              "DNS queries and answers over UDP and TCP, any port (Zeek dns.log fields)");
  add_command(app, exit_code, "http", ProtoLog::kHttp, "HTTP/1.x transactions, any port (Zeek http.log fields)");
  add_command(app, exit_code, "tls", ProtoLog::kSsl,
              "TLS handshakes: version, cipher, SNI, ALPN, JA3/JA3S/JA4 (Zeek ssl.log fields)");
  add_command(app, exit_code, "ssh", ProtoLog::kSsh,
              "SSH sessions: banners, negotiated algorithms, auth outcome (Zeek ssh.log fields)");
}

}  // namespace pcapscope::cli

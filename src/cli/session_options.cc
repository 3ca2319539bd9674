#include "cli/session_options.h"

#include <CLI/CLI.hpp>

#include "cli/common.h"
#include "pcapscope/decode.h"

namespace pcapscope::cli {

void add_session_flags(CLI::App& cmd, SessionFlags& f) {
  cmd.add_option("--tcp-timeout", f.tcp_timeout, "TCP inactivity timeout in seconds (PCAPSCOPE_TCP_TIMEOUT, default 300)")
      ->check(CLI::Range(1e-9, 9e9));
  cmd.add_option("--udp-timeout", f.udp_timeout, "UDP inactivity timeout in seconds (PCAPSCOPE_UDP_TIMEOUT, default 60)")
      ->check(CLI::Range(1e-9, 9e9));
  cmd.add_option("--icmp-timeout", f.icmp_timeout,
                 "ICMP and other IP protocols' inactivity timeout in seconds (PCAPSCOPE_ICMP_TIMEOUT, default 60)")
      ->check(CLI::Range(1e-9, 9e9));
  cmd.add_option("--max-sessions", f.max_sessions,
                 "Live sessions kept at once; beyond, the longest idle ends early, flagged evicted "
                 "(PCAPSCOPE_MAX_SESSIONS, default 1000000; about 600 bytes each)")
      ->check(CLI::PositiveNumber);
}

SessionOptions resolve_session_options(const SessionFlags& f) {
  auto env = session_options_from_env();
  if (!env) die("environment", env.error().message);
  SessionOptions o = env.value();
  auto ns = [](double s) { return static_cast<std::int64_t>(s * 1e9); };
  if (f.tcp_timeout) o.tcp_timeout_ns = ns(*f.tcp_timeout);
  if (f.udp_timeout) o.udp_timeout_ns = ns(*f.udp_timeout);
  if (f.icmp_timeout) o.icmp_timeout_ns = ns(*f.icmp_timeout);
  if (f.max_sessions) o.max_sessions = *f.max_sessions;
  return o;
}

RecordFormat parse_record_format(const std::string& format) {
  if (format == "json" || format == "jsonl") return RecordFormat::kJson;
  if (format == "csv") return RecordFormat::kCsv;
  if (format == "zeek") return RecordFormat::kZeek;
  return RecordFormat::kText;
}

void feed_sessions(Timeline& tl, Packet& pkt, bool have_first, SessionTable& table) {
  DecodedPacket dp;
  for (bool have = have_first; have; have = tl.next(pkt)) {
    decode(pkt, dp);
    table.process(dp);
  }
  table.finish();
}

}  // namespace pcapscope::cli

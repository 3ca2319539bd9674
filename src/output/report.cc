#include "output/report.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/domain.h"
#include "core/time_format.h"
#include "output/alert_writer.h"
#include "output/zeek_format.h"

namespace pcapscope {

namespace {

// 1234567 -> "1.2 MB": the report is for people; exact numbers are in the JSON.
std::string human_bytes(std::uint64_t b) {
  if (b < 1000) return fmt::format("{} B", b);
  if (b < 1000'000) return fmt::format("{:.1f} kB", static_cast<double>(b) / 1e3);
  if (b < 1000'000'000) return fmt::format("{:.1f} MB", static_cast<double>(b) / 1e6);
  return fmt::format("{:.2f} GB", static_cast<double>(b) / 1e9);
}

// 4.2e18 ns -> "133 years": the size of a clock step, for people.
std::string human_duration(std::int64_t ns) {
  const double s = static_cast<double>(ns) / 1e9;
  if (s < 60) return fmt::format("{:.3f} s", s);
  if (s < 3600) return fmt::format("{:.1f} min", s / 60);
  if (s < 86400) return fmt::format("{:.1f} h", s / 3600);
  if (s < 365.25 * 86400) return fmt::format("{:.1f} days", s / 86400);
  return fmt::format("{:.1f} years", s / (365.25 * 86400));
}

}  // namespace

void append_evidence_json(std::string& out, const EvidenceSummary& e) {
  out += "{\"record\":\"evidence\",\"path\":";
  append_json_string(out, e.file.path);
  if (!e.sha256.empty()) fmt::format_to(std::back_inserter(out), ",\"sha256\":\"{}\"", e.sha256);
  fmt::format_to(std::back_inserter(out), ",\"format\":\"{}\",\"compression\":\"{}\",\"file_bytes\":{}",
                 format_name(e.file.format), compression_name(e.file.compression), e.file.file_bytes);
  fmt::format_to(std::back_inserter(out), ",\"packets\":{},\"captured_bytes\":{}", e.packets, e.captured_bytes);
  if (e.packets > 0) {
    out += ",\"first_ts\":";
    append_seconds_us(out, e.first_ns);
    out += ",\"last_ts\":";
    append_seconds_us(out, e.last_ns);
  }
  std::uint64_t damaged_bytes = 0;
  out += ",\"damaged\":[";
  for (std::size_t i = 0; i < e.file.damaged.size(); ++i) {
    const DamagedRegion& d = e.file.damaged[i];
    damaged_bytes += d.length;
    if (i) out += ',';
    fmt::format_to(std::back_inserter(out), "{{\"offset\":{},\"length\":{},\"reason\":", d.offset, d.length);
    append_json_string(out, d.reason);
    out += '}';
  }
  fmt::format_to(std::back_inserter(out), "],\"damaged_bytes\":{},\"record_anomalies\":{},\"steps_back\":{}",
                 damaged_bytes, e.file.record_anomalies, e.steps_back);
  if (e.steps_back > 0) {
    out += ",\"largest_step_back\":";
    append_seconds_us(out, e.largest_step_back_ns);
  }
  out += '}';
}

const std::vector<EvidenceKey>& evidence_keys() {
  static const std::vector<EvidenceKey> keys = {
      {"record", "string", "always \"evidence\""},
      {"path", "string", "the input as given"},
      {"sha256", "string", "SHA-256 of the file as stored (absent for stdin or --no-hash)"},
      {"format", "string", "pcap, pcap-nsec or pcapng"},
      {"compression", "string", "none, gzip or zstd"},
      {"file_bytes", "integer", "size of the file as stored"},
      {"packets", "integer", "packets read"},
      {"captured_bytes", "integer", "bytes of packet data read"},
      {"first_ts", "number", "time of the first packet (absent when there is none)"},
      {"last_ts", "number", "time of the last packet (absent when there is none)"},
      {"damaged", "array of object", "damaged regions skipped: {offset, length, reason}"},
      {"damaged_bytes", "integer", "bytes skipped in damaged regions"},
      {"record_anomalies", "integer", "packets accepted with odd record headers"},
      {"steps_back", "integer", "packets stamped earlier than the packet before them in the file (the clock went back)"},
      {"largest_step_back", "number", "seconds of the largest such step (absent when there is none)"},
  };
  return keys;
}

template <typename Table, typename Key>
void TrafficSummary::add(Table& t, const Key& key, std::uint64_t n, std::uint64_t extra) {
  auto it = t.find(key);
  if (it == t.end()) {
    if (t.size() >= max_keys_) {
      ++untracked_;
      return;
    }
    it = t.emplace(typename Table::key_type(key), Cell{}).first;
  }
  it->second.n += n;
  it->second.extra += extra;
}

void TrafficSummary::on_session_end(const SessionRecord& r) {
  ++sessions_;
  ++transports_[static_cast<std::size_t>(r.proto)];
  const std::uint64_t bytes = r.orig_ip_bytes + r.resp_ip_bytes;
  add(talkers_, r.orig_h, bytes, 1);
  add(talkers_, r.resp_h, bytes, 1);
  add(services_, r.service.empty() ? std::string_view("-") : std::string_view(r.service), 1, bytes);
  if (r.proto == Transport::kTcp || r.proto == Transport::kUdp) {
    add(ports_, std::uint32_t{r.resp_p} << 8 | static_cast<std::uint32_t>(r.proto), 1, bytes);
  }
}

void TrafficSummary::on_dns(const DnsLogRecord& r) {
  ++dns_;
  if (!r.has_query || r.query.empty()) return;
  add(domains_, registered_domain(r.query), 1, 0);
}

std::vector<TrafficSummary::Count> TrafficSummary::top(std::vector<Count> all, std::size_t n) {
  const std::size_t k = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k), all.end(),
                    [](const Count& a, const Count& b) { return a.n != b.n ? a.n > b.n : a.key < b.key; });
  all.resize(k);
  return all;
}

std::vector<TrafficSummary::Count> TrafficSummary::top_talkers(std::size_t n) const {
  std::vector<Count> all;
  all.reserve(talkers_.size());
  for (const auto& [k, c] : talkers_) all.push_back({k.to_string(), c.n, c.extra});
  return top(std::move(all), n);
}

std::vector<TrafficSummary::Count> TrafficSummary::top_ports(std::size_t n) const {
  std::vector<Count> all;
  all.reserve(ports_.size());
  for (const auto& [k, c] : ports_) {
    all.push_back({fmt::format("{}/{}", k >> 8, transport_name(static_cast<Transport>(k & 0xff))), c.n, c.extra});
  }
  return top(std::move(all), n);
}

namespace {
template <typename Table>
std::vector<TrafficSummary::Count> text_counts(const Table& t) {
  std::vector<TrafficSummary::Count> all;
  all.reserve(t.size());
  for (const auto& [k, c] : t) all.push_back({k, c.n, c.extra});
  return all;
}
}  // namespace

std::vector<TrafficSummary::Count> TrafficSummary::top_services(std::size_t n) const {
  return top(text_counts(services_), n);
}
std::vector<TrafficSummary::Count> TrafficSummary::top_domains(std::size_t n) const {
  return top(text_counts(domains_), n);
}

void append_report(std::string& out, const ReportInputs& in) {
  auto line = [&out](std::string_view s) {
    out += s;
    out += '\n';
  };
  line("pcapscope analyze: forensic report");
  line("");
  line("== Evidence ==");
  std::uint64_t packets = 0, bytes = 0;
  for (const EvidenceSummary& e : *in.evidence) {
    packets += e.packets;
    bytes += e.captured_bytes;
    std::string path;
    append_printable(path, e.file.path);
    fmt::format_to(std::back_inserter(out), "{}\n", path);
    fmt::format_to(std::back_inserter(out), "  format      {}{}, {} bytes\n", format_name(e.file.format),
                   e.file.compression == Compression::kNone
                       ? std::string()
                       : fmt::format(" ({}-compressed)", compression_name(e.file.compression)),
                   e.file.file_bytes);
    fmt::format_to(std::back_inserter(out), "  sha256      {}\n", e.sha256.empty() ? "(not computed)" : e.sha256);
    fmt::format_to(std::back_inserter(out), "  packets     {} ({})\n", e.packets, human_bytes(e.captured_bytes));
    if (e.packets > 0) {
      fmt::format_to(std::back_inserter(out), "  time        {} .. {}\n", format_iso8601(e.first_ns),
                     format_iso8601(e.last_ns));
    }
    if (e.steps_back > 0) {
      fmt::format_to(std::back_inserter(out), "  clock       went back at {} packets, by up to {} (not in time order)\n",
                     e.steps_back, human_duration(e.largest_step_back_ns));
    }
    if (e.file.damaged.empty()) {
      line("  damaged     none");
    } else {
      std::uint64_t lost = 0;
      for (const DamagedRegion& d : e.file.damaged) lost += d.length;
      fmt::format_to(std::back_inserter(out), "  damaged     {} regions, {} bytes skipped:", e.file.damaged.size(), lost);
      const std::size_t shown = std::min<std::size_t>(e.file.damaged.size(), 5);
      for (std::size_t i = 0; i < shown; ++i) {
        fmt::format_to(std::back_inserter(out), " {}@{}+{}", e.file.damaged[i].reason, e.file.damaged[i].offset,
                       e.file.damaged[i].length);
      }
      if (shown < e.file.damaged.size()) fmt::format_to(std::back_inserter(out), " ...");
      out += '\n';
    }
  }
  if (in.evidence->size() > 1) {
    fmt::format_to(std::back_inserter(out), "total: {} files, {} packets ({})\n", in.evidence->size(), packets,
                   human_bytes(bytes));
  }

  const TrafficSummary& t = *in.traffic;
  line("");
  line("== On the wire ==");
  fmt::format_to(std::back_inserter(out), "sessions    {} (tcp {}, udp {}, icmp {}, other {})\n", t.sessions(),
                 t.by_transport(Transport::kTcp), t.by_transport(Transport::kUdp), t.by_transport(Transport::kIcmp),
                 t.by_transport(Transport::kUnknown));
  fmt::format_to(std::back_inserter(out), "records     dns {}, http {}, ssl {}, ssh {}\n", t.dns(), t.http(), t.ssl(),
                 t.ssh());
  auto table = [&](std::string_view title, const std::vector<TrafficSummary::Count>& rows, auto render) {
    if (rows.empty()) return;
    fmt::format_to(std::back_inserter(out), "{}\n", title);
    for (const auto& r : rows) {
      std::string key;
      append_printable(key, r.key);
      fmt::format_to(std::back_inserter(out), "  {:<40} {}\n", key, render(r));
    }
  };
  table("top talkers (bytes in sessions)", t.top_talkers(10),
        [](const TrafficSummary::Count& c) { return fmt::format("{:>10}  {} sessions", human_bytes(c.n), c.extra); });
  table("services (sessions)", t.top_services(10),
        [](const TrafficSummary::Count& c) { return fmt::format("{:>10}  {}", c.n, human_bytes(c.extra)); });
  table("responder ports (sessions)", t.top_ports(10),
        [](const TrafficSummary::Count& c) { return fmt::format("{:>10}  {}", c.n, human_bytes(c.extra)); });
  table("DNS domains queried (registered domain, queries)", t.top_domains(10),
        [](const TrafficSummary::Count& c) { return fmt::format("{:>10}", c.n); });
  if (t.untracked() > 0) {
    fmt::format_to(std::back_inserter(out), "(tables full: {} updates for further keys not counted)\n", t.untracked());
  }

  line("");
  const auto& alerts = *in.alerts;
  std::size_t by_sev[5] = {};
  for (const detect::Alert& a : alerts) ++by_sev[static_cast<std::size_t>(a.severity)];
  fmt::format_to(std::back_inserter(out), "== Alerts: {} (critical {}, high {}, medium {}, low {}, info {}) ==\n",
                 alerts.size(), by_sev[4], by_sev[3], by_sev[2], by_sev[1], by_sev[0]);
  if (in.whitelisted > 0) {
    fmt::format_to(std::back_inserter(out), "({} alerts suppressed by the whitelist)\n", in.whitelisted);
  }
  for (const detect::Alert& a : alerts) {
    out += '\n';
    append_alert_text(out, a);
  }
  if (alerts.empty()) line("none");
  if (!in.detector_notes.empty() || !in.notes.empty()) {
    line("");
    line("== Notes ==");
    for (const std::string& n : in.detector_notes) line(n);
    for (const std::string& n : in.notes) line(n);
  }
}

}  // namespace pcapscope

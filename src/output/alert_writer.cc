#include "output/alert_writer.h"

#include <fmt/format.h>

#include <algorithm>

#include "output/zeek_format.h"

namespace pcapscope {

using detect::Alert;
using detect::AlertField;

namespace {

void append_number(std::string& out, double v) {
  // Whole numbers print without a fraction; others to the microsecond (times in seconds stay exact to the
  // microsecond, as Zeek writes them), trailing zeros trimmed; tiny values keep six significant digits.
  if (v == static_cast<double>(static_cast<long long>(v)) && v < 9e15 && v > -9e15) {
    fmt::format_to(std::back_inserter(out), "{}", static_cast<long long>(v));
    return;
  }
  if (v > -1e-3 && v < 1e-3) {
    fmt::format_to(std::back_inserter(out), "{:.6g}", v);
    return;
  }
  std::string s = fmt::format("{:.6f}", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  out += s;
}

void append_extra_json(std::string& out, const AlertField& f) {
  out += ',';
  append_json_string(out, f.key);
  out += ':';
  std::visit(
      [&out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          append_json_string(out, v);
        } else if constexpr (std::is_same_v<T, double>) {
          append_number(out, v);
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          fmt::format_to(std::back_inserter(out), "{}", v);
        } else {
          out += '[';
          for (std::size_t i = 0; i < v.size(); ++i) {
            if (i) out += ',';
            append_json_string(out, v[i]);
          }
          out += ']';
        }
      },
      f.value);
}

std::string extra_text(const AlertField& f) {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          std::string s;
          append_printable(s, v);
          return s;
        } else if constexpr (std::is_same_v<T, double>) {
          std::string s;
          append_number(s, v);
          return s;
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return fmt::format("{}", v);
        } else {
          std::string s;
          for (const std::string& e : v) {
            if (!s.empty()) s += ' ';
            append_printable(s, e);
          }
          return s;
        }
      },
      f.value);
}

void append_csv_cell(std::string& out, std::string_view s) {
  std::string p;
  append_printable(p, s);
  if (p.find_first_of(",\"") == std::string::npos) {
    out += p;
    return;
  }
  out += '"';
  for (char c : p) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

void append_alert_json(std::string& out, const Alert& a) {
  out += "{\"record\":\"alert\",\"ts\":";
  append_seconds_us(out, a.ts_ns);
  out += ",\"last_ts\":";
  append_seconds_us(out, a.last_ns);
  out += ",\"detector\":";
  append_json_string(out, a.detector);
  out += ",\"severity\":\"";
  out += detect::severity_name(a.severity);
  out += '"';
  if (a.src) fmt::format_to(std::back_inserter(out), ",\"src\":\"{}\"", a.src->to_string());
  if (a.dst) fmt::format_to(std::back_inserter(out), ",\"dst\":\"{}\"", a.dst->to_string());
  if (a.dst_port) fmt::format_to(std::back_inserter(out), ",\"dst_port\":{}", *a.dst_port);
  if (a.proto) fmt::format_to(std::back_inserter(out), ",\"proto\":\"{}\"", transport_name(*a.proto));
  out += ",\"value\":";
  append_number(out, a.value);
  out += ",\"threshold\":";
  append_number(out, a.threshold);
  out += ",\"message\":";
  append_json_string(out, a.message);
  out += ",\"uids\":[";
  for (std::size_t i = 0; i < a.uids.size(); ++i) {
    if (i) out += ',';
    append_json_string(out, a.uids[i]);
  }
  fmt::format_to(std::back_inserter(out), "],\"uid_count\":{},\"frames\":[", a.uid_count);
  for (std::size_t i = 0; i < a.frames.size(); ++i) {
    if (i) out += ',';
    fmt::format_to(std::back_inserter(out), "{}", a.frames[i]);
  }
  out += ']';
  for (const AlertField& f : a.extra) append_extra_json(out, f);
  out += '}';
}

void append_alert_csv_header(std::string& out) {
  out += "ts,last_ts,detector,severity,src,dst,dst_port,proto,value,threshold,message,uids,uid_count,frames,extra\n";
}

void append_alert_csv(std::string& out, const Alert& a) {
  append_seconds_us(out, a.ts_ns);
  out += ',';
  append_seconds_us(out, a.last_ns);
  fmt::format_to(std::back_inserter(out), ",{},{},", a.detector, detect::severity_name(a.severity));
  if (a.src) out += a.src->to_string();
  out += ',';
  if (a.dst) out += a.dst->to_string();
  out += ',';
  if (a.dst_port) fmt::format_to(std::back_inserter(out), "{}", *a.dst_port);
  out += ',';
  if (a.proto) out += transport_name(*a.proto);
  out += ',';
  append_number(out, a.value);
  out += ',';
  append_number(out, a.threshold);
  out += ',';
  append_csv_cell(out, a.message);
  out += ',';
  std::string list;
  for (const std::string& u : a.uids) list += (list.empty() ? "" : " ") + u;
  out += list;
  fmt::format_to(std::back_inserter(out), ",{},", a.uid_count);
  list.clear();
  for (std::uint64_t f : a.frames) list += fmt::format("{}{}", list.empty() ? "" : " ", f);
  out += list;
  out += ',';
  std::string extra;
  for (const AlertField& f : a.extra) extra += fmt::format("{}{}={}", extra.empty() ? "" : ";", f.key, extra_text(f));
  append_csv_cell(out, extra);
  out += '\n';
}

void append_alert_text(std::string& out, const Alert& a) {
  std::string sev(detect::severity_name(a.severity));
  for (char& c : sev) c = static_cast<char>(c - 'a' + 'A');
  std::string who;
  if (a.src) who = a.src->to_string();
  if (a.dst) {
    who += who.empty() ? "" : " -> ";
    who += a.dst->v6 && a.dst_port ? fmt::format("[{}]", a.dst->to_string()) : a.dst->to_string();
    if (a.dst_port) who += fmt::format(":{}", *a.dst_port);
    if (a.proto) who += fmt::format("/{}", transport_name(*a.proto));
  }
  fmt::format_to(std::back_inserter(out), "[{}] {}  {}", sev, a.detector, text_time(a.ts_ns));
  if (a.last_ns > a.ts_ns) fmt::format_to(std::back_inserter(out), " .. {}", text_time(a.last_ns));
  if (!who.empty()) fmt::format_to(std::back_inserter(out), "  {}", who);
  out += "\n    ";
  append_printable(out, a.message);
  out += '\n';
  if (!a.extra.empty()) {
    out += "    ";
    bool first = true;
    for (const AlertField& f : a.extra) {
      fmt::format_to(std::back_inserter(out), "{}{}={}", first ? "" : "  ", f.key, extra_text(f));
      first = false;
    }
    out += '\n';
  }
  // A few of each keep the report readable; the JSON record carries up to kMaxEvidence.
  constexpr std::size_t kShown = 5;
  if (!a.uids.empty()) {
    out += "    sessions:";
    const std::size_t n = std::min(kShown, a.uids.size());
    for (std::size_t i = 0; i < n; ++i) fmt::format_to(std::back_inserter(out), " {}", a.uids[i]);
    const std::uint64_t total = std::max<std::uint64_t>(a.uid_count, a.uids.size());
    if (total > n) fmt::format_to(std::back_inserter(out), " (+{} more)", total - n);
    out += '\n';
  }
  if (!a.frames.empty()) {
    out += "    frames:";
    const std::size_t n = std::min(kShown, a.frames.size());
    for (std::size_t i = 0; i < n; ++i) fmt::format_to(std::back_inserter(out), " {}", a.frames[i]);
    if (a.frames.size() > n) out += " ...";
    out += '\n';
  }
}

bool alert_report_less(const Alert& a, const Alert& b) {
  if (a.severity != b.severity) return a.severity > b.severity;
  if (a.ts_ns != b.ts_ns) return a.ts_ns < b.ts_ns;
  return a.detector < b.detector;
}

const std::vector<AlertKey>& alert_keys() {
  static const std::vector<AlertKey> keys = {
      {"record", "string", "always \"alert\""},
      {"ts", "number", "time of the first evidence (seconds since the epoch, microseconds)"},
      {"last_ts", "number", "time of the last evidence (equal to ts for a single event)"},
      {"detector", "string", "which detector: exfiltration, dns_tunnel, syn_flood, port_scan, beacon, "
                             "ssh_new_network, cleartext, port_mismatch"},
      {"severity", "string", "info, low, medium, high or critical"},
      {"src", "string", "source address, when one host is the source (absent for many-source alerts)"},
      {"dst", "string", "destination address, when it applies"},
      {"dst_port", "integer", "destination port, when it applies"},
      {"proto", "string", "tcp, udp, icmp, when it applies"},
      {"value", "number", "what the detector measured (its unit is in the message)"},
      {"threshold", "number", "what value was compared against (the setting in force)"},
      {"message", "string", "one line for people, naming value and threshold"},
      {"uids", "array of string", "uids of evidence sessions (conn/dns/http/ssl/ssh records), at most 20"},
      {"uid_count", "integer", "how many sessions are evidence in all"},
      {"frames", "array of integer", "frame numbers of evidence packets (pcapscope packets --slice), at most 20"},
  };
  return keys;
}

}  // namespace pcapscope

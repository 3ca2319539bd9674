// Session record writers (see session_writer.h for the unset-value rules).
#include "output/session_writer.h"

#include <fmt/format.h>

#include <iterator>

#include "output/packet_printer.h"
#include "output/zeek_format.h"

namespace pcapscope {
namespace {

std::string flags_joined(std::uint16_t flags) {
  std::string s;
  for (std::string_view n : session_flag_names(flags)) {
    if (!s.empty()) s += ',';
    s += n;
  }
  return s;
}

std::string_view tunnel_name(const SessionRecord& r) { return r.tunnel == Proto::kNone ? "" : proto_name(r.tunnel); }

class ZeekWriter final : public SessionWriter {
 public:
  explicit ZeekWriter(const SessionWriterOptions& o) : opt_(o) {}
  void begin(std::string& out) override {
    append_zeek_preamble(out, "conn", opt_.open_ts_ns);
    out += "#fields";
    for (const SessionField& f : session_fields()) fmt::format_to(std::back_inserter(out), "\t{}", f.name);
    out += "\n#types";
    for (const SessionField& f : session_fields()) fmt::format_to(std::back_inserter(out), "\t{}", f.zeek_type);
    out += '\n';
  }
  void write(const SessionRecord& r, std::string& out) override {
    if (r.last_ns > last_ts_) last_ts_ = r.last_ns;
    append_seconds_us(out, r.ts_ns);
    fmt::format_to(std::back_inserter(out), "\t{}\t{}\t{}\t{}\t{}\t{}\t", r.uid_view(), r.orig_h.to_string(), r.orig_p,
                   r.resp_h.to_string(), r.resp_p, transport_name(r.proto));
    out += r.service.empty() ? "-" : r.service;
    out += '\t';
    if (r.has_duration()) {
      append_seconds_us(out, r.duration_ns());
      fmt::format_to(std::back_inserter(out), "\t{}\t{}\t", r.orig_bytes, r.resp_bytes);
    } else {
      out += "-\t-\t-\t";
    }
    fmt::format_to(std::back_inserter(out), "{}\t-\t-\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                   conn_state_name(r.conn_state), r.missed_bytes, r.history[0] ? r.history_view() : "-", r.orig_pkts,
                   r.orig_ip_bytes, r.resp_pkts, r.resp_ip_bytes, r.tunnel_parent[0] ? r.tunnel_parent.data() : "-",
                   r.ip_proto, community_id(r, opt_.community_id_seed),
                   r.first_frame, r.last_frame, r.tunnel == Proto::kNone ? "-" : tunnel_name(r),
                   r.flags ? flags_joined(r.flags) : "(empty)");
  }
  void end(std::string& out) override { append_zeek_close(out, last_ts_); }

 private:
  SessionWriterOptions opt_;
  std::int64_t last_ts_ = 0;
};

class JsonWriter final : public SessionWriter {
 public:
  explicit JsonWriter(const SessionWriterOptions& o) : opt_(o) {}
  void begin(std::string&) override {}
  void end(std::string&) override {}
  void write(const SessionRecord& r, std::string& out) override {
    out += "{\"ts\":";
    append_seconds_us(out, r.ts_ns);
    fmt::format_to(std::back_inserter(out),
                   ",\"uid\":\"{}\",\"id.orig_h\":\"{}\",\"id.orig_p\":{},\"id.resp_h\":\"{}\",\"id.resp_p\":{},"
                   "\"proto\":\"{}\"",
                   r.uid_view(), r.orig_h.to_string(), r.orig_p, r.resp_h.to_string(), r.resp_p,
                   transport_name(r.proto));
    if (!r.service.empty()) fmt::format_to(std::back_inserter(out), ",\"service\":\"{}\"", r.service);
    if (r.has_duration()) {
      out += ",\"duration\":";
      append_seconds_us(out, r.duration_ns());
      fmt::format_to(std::back_inserter(out), ",\"orig_bytes\":{},\"resp_bytes\":{}", r.orig_bytes, r.resp_bytes);
    }
    fmt::format_to(std::back_inserter(out), ",\"conn_state\":\"{}\",\"missed_bytes\":{}", conn_state_name(r.conn_state),
                   r.missed_bytes);
    if (r.history[0]) fmt::format_to(std::back_inserter(out), ",\"history\":\"{}\"", r.history_view());
    fmt::format_to(std::back_inserter(out),
                   ",\"orig_pkts\":{},\"orig_ip_bytes\":{},\"resp_pkts\":{},\"resp_ip_bytes\":{},\"ip_proto\":{},"
                   "\"community_id\":\"{}\",\"first_frame\":{},\"last_frame\":{}",
                   r.orig_pkts, r.orig_ip_bytes, r.resp_pkts, r.resp_ip_bytes, r.ip_proto,
                   community_id(r, opt_.community_id_seed), r.first_frame, r.last_frame);
    if (r.tunnel_parent[0]) fmt::format_to(std::back_inserter(out), ",\"tunnel_parents\":[\"{}\"]", r.tunnel_parent.data());
    if (r.tunnel != Proto::kNone) fmt::format_to(std::back_inserter(out), ",\"tunnel\":\"{}\"", tunnel_name(r));
    if (r.flags) {
      out += ",\"flags\":[";
      bool first = true;
      for (std::string_view n : session_flag_names(r.flags)) {
        fmt::format_to(std::back_inserter(out), "{}\"{}\"", first ? "" : ",", n);
        first = false;
      }
      out += ']';
    }
    out += "}\n";
  }

 private:
  SessionWriterOptions opt_;
};

class CsvWriter final : public SessionWriter {
 public:
  explicit CsvWriter(const SessionWriterOptions& o) : opt_(o) {}
  void begin(std::string& out) override {
    bool first = true;
    for (const SessionField& f : session_fields()) {
      if (!first) out += ',';
      out += f.name;
      first = false;
    }
    out += '\n';
  }
  void end(std::string&) override {}
  void write(const SessionRecord& r, std::string& out) override {
    append_seconds_us(out, r.ts_ns);
    fmt::format_to(std::back_inserter(out), ",{},{},{},{},{},{},{},", r.uid_view(), r.orig_h.to_string(), r.orig_p,
                   r.resp_h.to_string(), r.resp_p, transport_name(r.proto), r.service);
    if (r.has_duration()) {
      append_seconds_us(out, r.duration_ns());
      fmt::format_to(std::back_inserter(out), ",{},{},", r.orig_bytes, r.resp_bytes);
    } else {
      out += ",,,";
    }
    fmt::format_to(std::back_inserter(out), "{},,,{},{},{},{},{},{},{},{},{},{},{},{},", conn_state_name(r.conn_state),
                   r.missed_bytes, r.history_view(), r.orig_pkts, r.orig_ip_bytes, r.resp_pkts, r.resp_ip_bytes,
                   r.tunnel_parent.data(), r.ip_proto, community_id(r, opt_.community_id_seed), r.first_frame, r.last_frame, tunnel_name(r));
    append_csv_cell(out, flags_joined(r.flags));
    out += '\n';
  }

 private:
  SessionWriterOptions opt_;
};

class TextWriter final : public SessionWriter {
 public:
  explicit TextWriter(const SessionWriterOptions& o) : opt_(o) {}
  void begin(std::string& out) override {
    fmt::format_to(std::back_inserter(out), "{:<27} {:<18} {:<5} {:<23}    {:<23} {:<7} {:<6} {:<12} {:>11} {:>9} {:>11} {:>9} {:>11}\n",
                   "ts", "uid", "proto", "orig", "resp", "service", "state", "history", "duration", "orig_pkts", "orig_bytes",
                   "resp_pkts", "resp_bytes");
  }
  void end(std::string&) override {}
  void write(const SessionRecord& r, std::string& out) override {
    const std::string iso = text_time(r.ts_ns);
    std::string dur = "-", ob = "-", rb = "-";
    if (r.has_duration()) {
      dur.clear();
      append_seconds_us(dur, r.duration_ns());
      ob = std::to_string(r.orig_bytes);
      rb = std::to_string(r.resp_bytes);
    }
    fmt::format_to(std::back_inserter(out), "{:<27} {:<18} {:<5} {:<23} -> {:<23} {:<7} {:<6} {:<12} {:>11} {:>9} {:>11} {:>9} {:>11}",
                   iso, r.uid_view(), transport_name(r.proto), text_endpoint(r.orig_h, r.orig_p, r.proto),
                   text_endpoint(r.resp_h, r.resp_p, r.proto), r.service.empty() ? "-" : r.service,
                   conn_state_name(r.conn_state),
                   r.history[0] ? r.history_view() : "-", dur, r.orig_pkts, ob, r.resp_pkts, rb);
    if (r.missed_bytes) fmt::format_to(std::back_inserter(out), " missed={}", r.missed_bytes);
    if (r.tunnel != Proto::kNone) fmt::format_to(std::back_inserter(out), " tunnel={}", tunnel_name(r));
    if (r.flags) fmt::format_to(std::back_inserter(out), " [{}]", flags_joined(r.flags));
    out += '\n';
  }

 private:
  SessionWriterOptions opt_;
};

}  // namespace

std::unique_ptr<SessionWriter> make_session_writer(const SessionWriterOptions& opt) {
  switch (opt.format) {
    case RecordFormat::kJson: return std::make_unique<JsonWriter>(opt);
    case RecordFormat::kCsv: return std::make_unique<CsvWriter>(opt);
    case RecordFormat::kZeek: return std::make_unique<ZeekWriter>(opt);
    case RecordFormat::kText: break;
  }
  return std::make_unique<TextWriter>(opt);
}

const std::vector<SessionField>& session_fields() {
  static const std::vector<SessionField> kFields = {
      {"ts", "time", "Time of the first packet"},
      {"uid", "string", "Session id (deterministic)"},
      {"id.orig_h", "addr", "Originator address"},
      {"id.orig_p", "port", "Originator port (ICMP: type)"},
      {"id.resp_h", "addr", "Responder address"},
      {"id.resp_p", "port", "Responder port (ICMP: counterpart type or code)"},
      {"proto", "enum", "Transport protocol"},
      {"service", "string", "Application protocol(s) identified"},
      {"duration", "interval", "Last minus first packet time (trailing packets after close excluded)"},
      {"orig_bytes", "count", "Payload bytes sent by the originator (TCP: sequence space)"},
      {"resp_bytes", "count", "Payload bytes sent by the responder"},
      {"conn_state", "string", "Zeek connection state (S0, S1, SF, REJ ...)"},
      {"local_orig", "bool", "Originator is local (unset: no local networks configured)"},
      {"local_resp", "bool", "Responder is local (unset: no local networks configured)"},
      {"missed_bytes", "count", "Bytes missed in content gaps"},
      {"history", "string", "Zeek history letters"},
      {"orig_pkts", "count", "Packets sent by the originator"},
      {"orig_ip_bytes", "count", "IP bytes sent by the originator"},
      {"resp_pkts", "count", "Packets sent by the responder"},
      {"resp_ip_bytes", "count", "IP bytes sent by the responder"},
      {"tunnel_parents", "set[string]", "Uid of the enclosing tunnel's session (the outer flow, itself a session)"},
      {"ip_proto", "count", "IP protocol number"},
      {"community_id", "string", "Community ID v1 flow hash"},
      {"first_frame", "count", "Frame number of the first packet"},
      {"last_frame", "count", "Frame number of the last packet"},
      {"tunnel", "string", "Outermost tunnel the session was seen in"},
      {"flags", "set[string]", "How the session ended or was marked (timed_out, evicted, end_of_input ...)"},
  };
  return kFields;
}

std::vector<std::string_view> session_flag_names(std::uint16_t flags) {
  static constexpr std::pair<std::uint16_t, std::string_view> kNames[] = {
      {session_flag::kTimedOut, "timed_out"},       {session_flag::kEvicted, "evicted"},
      {session_flag::kEndOfInput, "end_of_input"},  {session_flag::kReused, "reused"},
      {session_flag::kFlipped, "flipped"},          {session_flag::kOverlapDiffers, "overlap_differs"},
      {session_flag::kReassemblyLimit, "reassembly_limit"}, {session_flag::kServiceMismatch, "service_mismatch"}};
  std::vector<std::string_view> out;
  for (const auto& [bit, name] : kNames) {
    if (flags & bit) out.push_back(name);
  }
  return out;
}

SessionLess session_sort(std::string_view name) {
  auto by = [](auto key) -> SessionLess {
    return [key](const SessionRecord& a, const SessionRecord& b) { return key(a) < key(b); };
  };
  if (name == "ts") return by([](const SessionRecord& r) { return r.ts_ns; });
  if (name == "uid") return by([](const SessionRecord& r) { return std::string_view(r.uid.data()); });
  if (name == "id.orig_h") return by([](const SessionRecord& r) { return std::pair(r.orig_h.v6, r.orig_h.bytes); });
  if (name == "id.resp_h") return by([](const SessionRecord& r) { return std::pair(r.resp_h.v6, r.resp_h.bytes); });
  if (name == "id.orig_p") return by([](const SessionRecord& r) { return r.orig_p; });
  if (name == "id.resp_p") return by([](const SessionRecord& r) { return r.resp_p; });
  if (name == "proto") return by([](const SessionRecord& r) { return transport_name(r.proto); });
  if (name == "duration") return by([](const SessionRecord& r) { return r.duration_ns(); });
  if (name == "orig_bytes") return by([](const SessionRecord& r) { return r.orig_bytes; });
  if (name == "resp_bytes") return by([](const SessionRecord& r) { return r.resp_bytes; });
  if (name == "conn_state") return by([](const SessionRecord& r) { return conn_state_name(r.conn_state); });
  if (name == "missed_bytes") return by([](const SessionRecord& r) { return r.missed_bytes; });
  if (name == "history") return by([](const SessionRecord& r) { return std::string_view(r.history.data()); });
  if (name == "orig_pkts") return by([](const SessionRecord& r) { return r.orig_pkts; });
  if (name == "orig_ip_bytes") return by([](const SessionRecord& r) { return r.orig_ip_bytes; });
  if (name == "resp_pkts") return by([](const SessionRecord& r) { return r.resp_pkts; });
  if (name == "resp_ip_bytes") return by([](const SessionRecord& r) { return r.resp_ip_bytes; });
  if (name == "ip_proto") return by([](const SessionRecord& r) { return r.ip_proto; });
  if (name == "first_frame") return by([](const SessionRecord& r) { return r.first_frame; });
  if (name == "last_frame") return by([](const SessionRecord& r) { return r.last_frame; });
  if (name == "pkts") return by([](const SessionRecord& r) { return r.orig_pkts + r.resp_pkts; });
  if (name == "bytes") return by([](const SessionRecord& r) { return r.orig_ip_bytes + r.resp_ip_bytes; });
  return nullptr;
}

}  // namespace pcapscope

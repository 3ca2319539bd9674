// Record vocabularies: the fields of conn, dns, http, ssl and ssh records
// read through the same field tables (logschema) that write their logs, so
// `--where` names exactly what the output shows; and the alert record's keys.
#include <cstring>
#include <unordered_map>

#include "detect/alert.h"
#include "filter/value.h"
#include "output/proto_log_schema.h"

namespace pcapscope::filter {
namespace {

using logschema::Value;
using Kind = logschema::Value::Kind;

Type type_of_zeek(std::string_view zeek_type) {
  if (zeek_type == "time") return Type::kTime;
  if (zeek_type == "interval" || zeek_type == "vector[interval]" || zeek_type == "double") return Type::kFloat;
  if (zeek_type == "count" || zeek_type == "port" || zeek_type == "int" || zeek_type == "vector[count]") return Type::kInt;
  if (zeek_type == "bool") return Type::kBool;
  if (zeek_type == "addr") return Type::kAddr;
  return Type::kString;  // string, enum, set[string], vector[string]
}

filter::Value addr_value(const IpAddress& a) {
  filter::Value v;
  v.type = Type::kAddr;
  v.addr_len = a.v6 ? 16 : 4;
  v.prefix = static_cast<std::uint8_t>(v.addr_len * 8);
  std::memcpy(v.addr.data(), a.bytes.data(), v.addr_len);
  return v;
}

filter::Value time_value(std::int64_t ns) {
  filter::Value v;
  v.type = Type::kTime;
  v.i = ns;
  return v;
}

template <class R>
void fetch_schema_field(const void* subject, const void* arg, Values& out, std::string& scratch) {
  const auto& rec = *static_cast<const R*>(subject);
  const auto& f = *static_cast<const logschema::Field<R>*>(arg);
  Value v;
  f.get(rec, v, scratch);
  switch (v.kind) {
    case Kind::kUnset: return;
    case Kind::kTime: out.push_back(time_value(v.ns)); return;
    case Kind::kInterval: out.push_back(filter::Value::of_float(static_cast<double>(v.ns) / 1e9)); return;
    case Kind::kCount:
    case Kind::kPort:
      out.push_back(filter::Value::of_int(v.u > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(v.u)));
      return;
    case Kind::kBool: {
      filter::Value b;
      b.type = Type::kBool;
      b.i = v.b;
      out.push_back(b);
      return;
    }
    case Kind::kAddr: out.push_back(addr_value(*v.addr)); return;
    case Kind::kEnum:
    case Kind::kString: out.push_back(filter::Value::of_text(Type::kString, v.s)); return;
    case Kind::kStrings:
      for (const std::string& s : *v.strings) out.push_back(filter::Value::of_text(Type::kString, s));
      return;
    case Kind::kIntervals:
      for (std::uint32_t s : *v.seconds) out.push_back(filter::Value::of_float(s));
      return;
  }
}

class TableVocabulary final : public Vocabulary {
 public:
  std::optional<FieldRef> lookup(std::string_view name) const override {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string_view> names() const override { return names_; }
  void add(std::string_view name, const FieldRef& r) {
    if (by_name_.emplace(name, r).second) names_.push_back(name);
  }
  template <class R>
  static TableVocabulary from(const logschema::Schema<R>& schema) {
    TableVocabulary v;
    for (const auto& f : schema.fields) {
      FieldRef r;
      r.type = type_of_zeek(f.zeek_type);
      r.fetch = fetch_schema_field<R>;
      r.arg = &f;
      v.add(f.name, r);
    }
    return v;
  }

 private:
  std::unordered_map<std::string_view, FieldRef> by_name_;
  std::vector<std::string_view> names_;
};

// --- alerts ------------------------------------------------------------------

using detect::Alert;
using AlertFetch = void (*)(const Alert&, Values&);

struct AlertKey {
  std::string_view name;
  Type type;
  AlertFetch fetch;
};

const AlertKey kAlertKeys[] = {
    {"ts", Type::kTime, [](const Alert& a, Values& o) { o.push_back(time_value(a.ts_ns)); }},
    {"last_ts", Type::kTime, [](const Alert& a, Values& o) { o.push_back(time_value(a.last_ns)); }},
    {"detector", Type::kString, [](const Alert& a, Values& o) { o.push_back(filter::Value::of_text(Type::kString, a.detector)); }},
    {"severity", Type::kString,
     [](const Alert& a, Values& o) { o.push_back(filter::Value::of_text(Type::kString, detect::severity_name(a.severity))); }},
    {"src", Type::kAddr,
     [](const Alert& a, Values& o) {
       if (a.src) o.push_back(addr_value(*a.src));
     }},
    {"dst", Type::kAddr,
     [](const Alert& a, Values& o) {
       if (a.dst) o.push_back(addr_value(*a.dst));
     }},
    {"dst_port", Type::kInt,
     [](const Alert& a, Values& o) {
       if (a.dst_port) o.push_back(filter::Value::of_int(*a.dst_port));
     }},
    {"proto", Type::kString,
     [](const Alert& a, Values& o) {
       if (a.proto) o.push_back(filter::Value::of_text(Type::kString, transport_name(*a.proto)));
     }},
    {"value", Type::kFloat, [](const Alert& a, Values& o) { o.push_back(filter::Value::of_float(a.value)); }},
    {"threshold", Type::kFloat, [](const Alert& a, Values& o) { o.push_back(filter::Value::of_float(a.threshold)); }},
    {"message", Type::kString, [](const Alert& a, Values& o) { o.push_back(filter::Value::of_text(Type::kString, a.message)); }},
    {"uids", Type::kString,
     [](const Alert& a, Values& o) {
       for (const std::string& u : a.uids) o.push_back(filter::Value::of_text(Type::kString, u));
     }},
    {"uid_count", Type::kInt,
     [](const Alert& a, Values& o) { o.push_back(filter::Value::of_int(static_cast<std::int64_t>(a.uid_count))); }},
    {"frames", Type::kInt,
     [](const Alert& a, Values& o) {
       for (std::uint64_t f : a.frames) o.push_back(filter::Value::of_int(static_cast<std::int64_t>(f)));
     }},
};

void fetch_alert_key(const void* subject, const void* arg, Values& out, std::string&) {
  static_cast<const AlertKey*>(arg)->fetch(*static_cast<const Alert*>(subject), out);
}

TableVocabulary alert_vocabulary() {
  TableVocabulary v;
  for (const AlertKey& k : kAlertKeys) {
    FieldRef r;
    r.type = k.type;
    r.fetch = fetch_alert_key;
    r.arg = &k;
    v.add(k.name, r);
  }
  return v;
}

}  // namespace

const Vocabulary& record_vocabulary(Subject s) {
  static const TableVocabulary conn = TableVocabulary::from(logschema::conn_schema());
  static const TableVocabulary dns = TableVocabulary::from(logschema::dns_schema());
  static const TableVocabulary http = TableVocabulary::from(logschema::http_schema());
  static const TableVocabulary ssl = TableVocabulary::from(logschema::ssl_schema());
  static const TableVocabulary ssh = TableVocabulary::from(logschema::ssh_schema());
  static const TableVocabulary alert = alert_vocabulary();
  switch (s) {
    case Subject::kDns: return dns;
    case Subject::kHttp: return http;
    case Subject::kSsl: return ssl;
    case Subject::kSsh: return ssh;
    case Subject::kAlert: return alert;
    default: return conn;
  }
}

}  // namespace pcapscope::filter

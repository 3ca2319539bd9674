// Internal to the protocol record writers: each log is a table of fields
// (name, Zeek type, how to read the value off a record), and one renderer per
// format walks the table. A field is added in one place and appears in all
// four formats, in the same order, with the same unset rule.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pcapscope/proto.h"

namespace pcapscope::logschema {

// One field's value for one record, as the formats need to tell kinds apart.
// Views point into the record or into the scratch string given to the getter.
struct Value {
  enum class Kind : std::uint8_t {
    kUnset,
    kTime,        // ns
    kInterval,    // ns
    kCount,       // u
    kPort,        // u
    kBool,        // b
    kAddr,        // addr
    kEnum,        // s (a name from our tables; escaped like a string all the same)
    kString,      // s (from the wire: escaped per format)
    kStrings,     // strings: vector[string]
    kIntervals,   // seconds: vector[interval], whole seconds
  };
  Kind kind = Kind::kUnset;
  std::int64_t ns = 0;
  std::uint64_t u = 0;
  bool b = false;
  std::string_view s;
  const IpAddress* addr = nullptr;
  const std::vector<std::string>* strings = nullptr;
  const std::vector<std::uint32_t>* seconds = nullptr;

  void set_time(std::int64_t v) {
    kind = Kind::kTime;
    ns = v;
  }
  void set_interval(std::int64_t v) {
    kind = Kind::kInterval;
    ns = v;
  }
  void set_count(std::uint64_t v) {
    kind = Kind::kCount;
    u = v;
  }
  void set_port(std::uint64_t v) {
    kind = Kind::kPort;
    u = v;
  }
  void set_bool(bool v) {
    kind = Kind::kBool;
    b = v;
  }
  void set_addr(const IpAddress& v) {
    kind = Kind::kAddr;
    addr = &v;
  }
  void set_enum(std::string_view v) {
    kind = Kind::kEnum;
    s = v;
  }
  void set_string(std::string_view v) {
    kind = Kind::kString;
    s = v;
  }
  void set_strings(const std::vector<std::string>& v) {
    kind = Kind::kStrings;
    strings = &v;
  }
  void set_intervals(const std::vector<std::uint32_t>& v) {
    kind = Kind::kIntervals;
    seconds = &v;
  }
  // Zeek's &optional strings: unset when we have nothing.
  void set_string_or_unset(std::string_view v) {
    if (!v.empty()) set_string(v);
  }
};

template <class R>
struct Field {
  std::string_view name;
  std::string_view zeek_type;
  std::string_view description;
  // Fills V (reset to unset before the call); SCRATCH holds computed text.
  void (*get)(const R& r, Value& v, std::string& scratch);
};

// A column of the text format: the field, its width (the last column is not padded).
struct TextColumn {
  std::string_view field;
  int width;
  bool right = false;
};

template <class R>
struct Schema {
  std::string_view path;
  std::vector<Field<R>> fields;
  std::vector<TextColumn> text;  // after the fixed ts, uid, orig -> resp
};

// conn.log: the session records (conn_fields.cc). tunnel_parents and flags are
// sets written as one comma-joined string.
const Schema<SessionRecord>& conn_schema();
const Schema<DnsLogRecord>& dns_schema();
const Schema<HttpLogRecord>& http_schema();
const Schema<SslLogRecord>& ssl_schema();
const Schema<SshLogRecord>& ssh_schema();

// Zeek's names for DNS numbers with Zeek's defaults for unknown ones
// ("query-<n>", "rcode-<n>", "qclass-<n>"); SCRATCH holds the computed name.
std::string_view dns_qtype_name(std::uint16_t qtype, std::string& scratch);
std::string_view dns_rcode_name(std::uint16_t rcode, std::string& scratch);
std::string_view dns_qclass_name(std::uint16_t qclass, std::string& scratch);

}  // namespace pcapscope::logschema

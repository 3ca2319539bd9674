// Values the evaluator computes with, and the vocabulary a filter is compiled
// against: which names exist over a subject and how to read them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pcapscope/filter.h"

namespace pcapscope::filter {

enum class Type : std::uint8_t { kBool, kInt, kFloat, kTime, kAddr, kMac, kBytes, kString };
std::string_view type_name(Type t);  // "integer", "IP address" ...

// One value: plain data, views into the subject or into a node's scratch
// storage. Ints are 64-bit signed (every field we read fits).
struct Value {
  Type type = Type::kInt;
  std::int64_t i = 0;                   // kBool (0/1), kInt, kTime (ns since the epoch)
  double d = 0;                         // kFloat
  std::array<std::uint8_t, 16> addr{};  // kAddr (4 or 16 bytes), kMac (6)
  std::uint8_t addr_len = 0;
  std::uint8_t prefix = 0;              // kAddr: network bits of a CIDR literal (addr_len * 8 for a host)
  std::string_view s;                   // kString, kBytes

  static Value of_int(std::int64_t v) {
    Value x;
    x.type = Type::kInt;
    x.i = v;
    return x;
  }
  static Value of_float(double v) {
    Value x;
    x.type = Type::kFloat;
    x.d = v;
    return x;
  }
  static Value of_text(Type t, std::string_view v) {
    Value x;
    x.type = t;
    x.s = v;
    return x;
  }
};

using Values = std::vector<Value>;

// How to read one name off a subject. FETCH appends each occurrence to OUT;
// strings point into the subject or into SCRATCH (owned by the calling node,
// reused from one subject to the next).
struct FieldRef {
  Type type = Type::kInt;
  void (*fetch)(const void* subject, const void* arg, Values& out, std::string& scratch) = nullptr;
  const void* arg = nullptr;
  bool app = false;  // packets: an application field from the protocol stage
  bool uid = false;  // packets: the session uid
  bool protocol = false;  // a protocol name (presence; its bytes when sliced)
};

class Vocabulary {
 public:
  virtual ~Vocabulary() = default;
  virtual std::optional<FieldRef> lookup(std::string_view name) const = 0;
  virtual std::vector<std::string_view> names() const = 0;
};

const Vocabulary& vocabulary(Subject s);
const Vocabulary& packet_vocabulary();  // packet_fields.cc
const Vocabulary& record_vocabulary(Subject s);  // record_fields.cc (every subject but kPacket)

// Literal parsing for a value of type T (the other side of a comparison).
// Returns an error message when TEXT is not a T; QUOTED tells a string from a bare word.
std::optional<std::string> parse_literal(std::string_view text, bool quoted, Type t, Value& out, std::string& storage);
// Absolute time text ("2024-05-01 10:00:00", ISO 8601 with T/Z/offsets,
// "May  1, 2024 10:00:00", or seconds since the epoch): ns since the epoch, UTC unless a zone is given.
std::optional<std::int64_t> parse_time_literal(std::string_view text);

// Comparisons between two values of compatible types (checked at compile time).
bool value_equal(const Value& a, const Value& b);
int value_order(const Value& a, const Value& b);  // <0, 0, >0
// Writes V as text (for string()).
void append_value_text(std::string& out, const Value& v);

}  // namespace pcapscope::filter

// The compiled form of a filter: a tree of typed nodes built once by the
// compiler (compile.cc). Value nodes append the values an expression has on
// one subject (a field may have several occurrences, or none); test nodes
// answer true or false. Every node owns the buffers it fills, so after the
// first few subjects evaluation allocates nothing.
#pragma once

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <memory>
#include <string>
#include <vector>

#include "filter/lexer.h"
#include "filter/value.h"

namespace pcapscope::filter {

class ValueNode {
 public:
  explicit ValueNode(Type t) : type(t) {}
  virtual ~ValueNode() = default;
  // Appends this expression's values on SUBJECT to OUT.
  virtual void eval(const void* subject, Values& out) = 0;
  // A field reference, for count() and for presence tests.
  virtual bool is_field() const { return false; }
  Type type;
};

class TestNode {
 public:
  virtual ~TestNode() = default;
  virtual bool test(const void* subject) = 0;
};

using ValuePtr = std::unique_ptr<ValueNode>;
using TestPtr = std::unique_ptr<TestNode>;

// --- value nodes -----------------------------------------------------------

class FieldNode final : public ValueNode {
 public:
  explicit FieldNode(const FieldRef& r) : ValueNode(r.type), ref_(r) {}
  void eval(const void* s, Values& out) override { ref_.fetch(s, ref_.arg, out, scratch_); }
  bool is_field() const override { return true; }

 private:
  FieldRef ref_;
  std::string scratch_;
};

class ConstNode final : public ValueNode {
 public:
  ConstNode(Type t, Value v, std::string storage);
  void eval(const void*, Values& out) override { out.push_back(value_); }
  const Value& value() const { return value_; }

 private:
  std::unique_ptr<std::string> storage_;  // what value_.s points into (stable across moves)
  Value value_;
};

// Wireshark slices: [i:n] n bytes from i, [i-j] i to j inclusive, [i] one byte,
// [:n], [i:], negative offsets from the end, and comma-separated lists of these.
struct SliceRange {
  std::int64_t start = 0;
  std::int64_t len = -1;  // -1: to the end
};
ValuePtr make_slice(ValuePtr child, std::vector<SliceRange> ranges);

ValuePtr make_arith(Tok op, ValuePtr a, ValuePtr b, Type result);
ValuePtr make_negate(ValuePtr a);
// Reads string values as IP addresses (record fields such as DNS answers hold
// addresses as text); strings that are not addresses give no value.
ValuePtr make_addr_of_string(ValuePtr a);

enum class Func : std::uint8_t { kLen, kCount, kLower, kUpper, kString, kAbs, kMin, kMax, kEntropy, kRegisteredDomain };
ValuePtr make_call(Func f, std::vector<ValuePtr> args, Type result);

// --- test nodes ------------------------------------------------------------

TestPtr make_logic(Tok op, TestPtr a, TestPtr b);  // kAnd, kOr, kXor
TestPtr make_not(TestPtr a);
TestPtr make_exists(ValuePtr a);                   // at least one value
TestPtr make_truthy(ValuePtr a);                   // at least one non-zero / non-empty value
TestPtr make_compare(Tok op, ValuePtr a, ValuePtr b);  // kEq kNe kAllEq kAnyNe kLt kLe kGt kGe
TestPtr make_contains(ValuePtr a, ValuePtr b);
// PATTERN compiled by the caller (owned by the node afterwards).
TestPtr make_matches(ValuePtr a, pcre2_code* pattern);
struct SetMember {
  Value lo, hi;  // hi == lo for a single value
  std::unique_ptr<std::string> storage_lo, storage_hi;
  bool range = false;
};
TestPtr make_in(ValuePtr a, std::vector<SetMember> members, bool negated);

// The whole compiled filter.
class Program {
 public:
  Subject subject = Subject::kPacket;
  TestPtr root;
  bool needs_app = false;
  bool needs_uid = false;
};

}  // namespace pcapscope::filter

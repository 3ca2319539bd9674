// Evaluator nodes. Quantifiers follow Wireshark 4.0's DFVM: a comparison on an
// absent value is false whatever the operator; == < <= > >= contains matches
// hold when any occurrence does; != holds when no pair is equal (so
// `ip.addr != 10.0.0.1` means neither address is 10.0.0.1); === when every
// pair is; ~= when some pair differs.
#include <arpa/inet.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "core/domain.h"
#include "filter/eval.h"

namespace pcapscope::filter {

ConstNode::ConstNode(Type t, Value v, std::string storage)
    : ValueNode(t), storage_(std::make_unique<std::string>(std::move(storage))), value_(v) {
  // Text values were parsed into STORAGE's old buffer, now moved: point at the kept copy.
  if (v.type == Type::kString || v.type == Type::kBytes) value_.s = *storage_;
}

namespace {

std::atomic<std::uint64_t> g_arithmetic_cut{0};

// Strings computed per subject (lower(), slices of several ranges ...): a pool
// whose entries keep their capacity from one subject to the next.
class StringPool {
 public:
  void reset() { used_ = 0; }
  std::string& next() {
    if (used_ == pool_.size()) pool_.push_back(std::make_unique<std::string>());
    std::string& s = *pool_[used_++];
    s.clear();
    return s;
  }

 private:
  std::vector<std::unique_ptr<std::string>> pool_;  // unique_ptr: views stay valid while the pool grows
  std::size_t used_ = 0;
};

class SliceNode final : public ValueNode {
 public:
  SliceNode(ValuePtr c, std::vector<SliceRange> r)
      : ValueNode(c->type == Type::kAddr || c->type == Type::kMac ? Type::kBytes : c->type),
        child_(std::move(c)),
        ranges_(std::move(r)) {}
  void eval(const void* s, Values& out) override {
    tmp_.clear();
    pool_.reset();
    child_->eval(s, tmp_);
    for (const Value& v : tmp_) {
      // Addresses slice as their bytes (eth.src[0:3] == 00:0c:29, ip.dst[0] == 0xe0), as in Wireshark.
      const bool addr = v.type == Type::kAddr || v.type == Type::kMac;
      std::string_view whole = addr ? std::string_view(reinterpret_cast<const char*>(v.addr.data()), v.addr_len) : v.s;
      const Type part_type = addr ? Type::kBytes : v.type;
      if (ranges_.size() == 1) {
        std::string_view part;
        if (cut(whole, ranges_[0], part)) out.push_back(Value::of_text(part_type, part));
        continue;
      }
      std::string& joined = pool_.next();
      bool ok = true;
      for (const SliceRange& r : ranges_) {
        std::string_view part;
        ok = ok && cut(whole, r, part);
        joined += part;
      }
      if (ok) out.push_back(Value::of_text(part_type, joined));
    }
  }

 private:
  // Wireshark drops the value when a slice reaches past the end.
  static bool cut(std::string_view whole, const SliceRange& r, std::string_view& part) {
    const auto n = static_cast<std::int64_t>(whole.size());
    std::int64_t start = r.start < 0 ? n + r.start : r.start;
    if (start < 0 || start > n) return false;
    std::int64_t len = r.len < 0 ? n - start : r.len;
    if (start + len > n) return false;
    part = whole.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(len));
    return true;
  }
  ValuePtr child_;
  std::vector<SliceRange> ranges_;
  Values tmp_;
  StringPool pool_;
};

double to_double(const Value& v) {
  if (v.type == Type::kFloat) return v.d;
  if (v.type == Type::kTime) return static_cast<double>(v.i) / 1e9;
  return static_cast<double>(v.i);
}

// A time, or seconds to shift one by, in ns; false beyond int64 (ts - 77777777777770, found by filter_fuzzer).
bool to_ns(const Value& v, std::int64_t& out) {
  if (v.type == Type::kTime) {
    out = v.i;
    return true;
  }
  const double ns = to_double(v) * 1e9;
  if (!(std::fabs(ns) < 9.2e18)) return false;  // also NaN
  out = static_cast<std::int64_t>(std::llround(ns));
  return true;
}

// Byte strings take part in "&" as a big-endian number of their first 8 bytes (eth.dst[0] & 1).
std::uint64_t bits(const Value& v) {
  if (v.type != Type::kBytes) return static_cast<std::uint64_t>(v.i);
  std::uint64_t r = 0;
  for (char c : v.s.substr(0, 8)) r = (r << 8) | static_cast<std::uint8_t>(c);
  return r;
}

class ArithNode final : public ValueNode {
 public:
  ArithNode(Tok op, ValuePtr a, ValuePtr b, Type t) : ValueNode(t), op_(op), a_(std::move(a)), b_(std::move(b)) {}
  void eval(const void* s, Values& out) override {
    ta_.clear();
    tb_.clear();
    a_->eval(s, ta_);
    if (ta_.empty()) return;
    b_->eval(s, tb_);
    // Every pair of occurrences, as Wireshark takes them. Pairs multiply along
    // a chain (frames * frames * ... on an alert with three frames is 3^k
    // values: filter_fuzzer's RSS grew in steps to 2 GiB on such inputs), so
    // one operation takes at most kMaxArithmeticPairs pairs per subject, in
    // order, and counts the evaluations it cut short (reported by the CLI).
    std::size_t budget = kMaxArithmeticPairs;
    for (const Value& x : ta_)
      for (const Value& y : tb_) {
        if (budget-- == 0) {
          g_arithmetic_cut.fetch_add(1, std::memory_order_relaxed);
          return;
        }
        apply(x, y, out);
      }
  }

 private:
  void apply(const Value& x, const Value& y, Values& out) const {
    if (type == Type::kTime) {
      // time +/- seconds; seconds were converted to ns at compile time when constant
      std::int64_t dx = 0, dy = 0;
      if (!to_ns(x, dx) || !to_ns(y, dy)) return;  // seconds beyond the time range: no value
      const auto ux = static_cast<std::uint64_t>(dx), uy = static_cast<std::uint64_t>(dy);
      Value r;
      r.type = Type::kTime;
      r.i = static_cast<std::int64_t>(op_ == Tok::kMinus ? ux - uy : ux + uy);  // wraps rather than UB
      out.push_back(r);
      return;
    }
    if (type == Type::kFloat) {
      const double a = to_double(x), b = to_double(y);
      double r = 0;
      switch (op_) {
        case Tok::kPlus: r = a + b; break;
        case Tok::kMinus: r = a - b; break;
        case Tok::kStar: r = a * b; break;
        case Tok::kSlash:
          if (b == 0) return;
          r = a / b;
          break;
        case Tok::kPercent:
          if (b == 0) return;
          r = std::fmod(a, b);
          break;
        default: return;
      }
      out.push_back(Value::of_float(r));
      return;
    }
    // Integers wrap as unsigned 64-bit arithmetic does rather than invoking
    // undefined behaviour on overflow.
    const std::uint64_t a = bits(x), b = bits(y);
    std::int64_t r = 0;
    switch (op_) {
      case Tok::kPlus: r = static_cast<std::int64_t>(a + b); break;
      case Tok::kMinus: r = static_cast<std::int64_t>(a - b); break;
      case Tok::kStar: r = static_cast<std::int64_t>(a * b); break;
      case Tok::kBitAnd: r = static_cast<std::int64_t>(a & b); break;
      case Tok::kSlash:
      case Tok::kPercent:
        // Division by zero has no value (Wireshark: the test is false).
        if (y.i == 0 || (x.i == INT64_MIN && y.i == -1)) return;
        r = op_ == Tok::kSlash ? x.i / y.i : x.i % y.i;
        break;
      default: return;
    }
    out.push_back(Value::of_int(r));
  }
  Tok op_;
  ValuePtr a_, b_;
  Values ta_, tb_;
};

class NegateNode final : public ValueNode {
 public:
  explicit NegateNode(ValuePtr a) : ValueNode(a->type), a_(std::move(a)) {}
  void eval(const void* s, Values& out) override {
    tmp_.clear();
    a_->eval(s, tmp_);
    for (Value v : tmp_) {
      if (v.type == Type::kFloat) {
        v.d = -v.d;
      } else {
        v.i = static_cast<std::int64_t>(0 - static_cast<std::uint64_t>(v.i));
        if (v.type == Type::kBool) v.type = Type::kInt;
      }
      out.push_back(v);
    }
  }

 private:
  ValuePtr a_;
  Values tmp_;
};

class AddrOfStringNode final : public ValueNode {
 public:
  explicit AddrOfStringNode(ValuePtr a) : ValueNode(Type::kAddr), a_(std::move(a)) {}
  void eval(const void* s, Values& out) override {
    tmp_.clear();
    a_->eval(s, tmp_);
    for (const Value& v : tmp_) {
      char buf[64];
      if (v.s.size() >= sizeof buf) continue;
      std::memcpy(buf, v.s.data(), v.s.size());
      buf[v.s.size()] = '\0';
      Value r;
      r.type = Type::kAddr;
      if (inet_pton(AF_INET, buf, r.addr.data()) == 1) {
        r.addr_len = 4;
      } else if (inet_pton(AF_INET6, buf, r.addr.data()) == 1) {
        r.addr_len = 16;
      } else {
        continue;
      }
      r.prefix = static_cast<std::uint8_t>(r.addr_len * 8);
      out.push_back(r);
    }
  }

 private:
  ValuePtr a_;
  Values tmp_;
};

class CallNode final : public ValueNode {
 public:
  CallNode(Func f, std::vector<ValuePtr> args, Type t) : ValueNode(t), f_(f), args_(std::move(args)) {}
  void eval(const void* s, Values& out) override {
    tmp_.clear();
    pool_.reset();
    for (auto& a : args_) a->eval(s, tmp_);
    switch (f_) {
      case Func::kCount: out.push_back(Value::of_int(static_cast<std::int64_t>(tmp_.size()))); return;
      case Func::kMin:
      case Func::kMax: {
        if (tmp_.empty()) return;
        const Value* best = &tmp_[0];
        for (const Value& v : tmp_) {
          const int c = value_order(v, *best);
          if ((f_ == Func::kMin && c < 0) || (f_ == Func::kMax && c > 0)) best = &v;
        }
        out.push_back(*best);
        return;
      }
      default: break;
    }
    for (const Value& v : tmp_) {
      switch (f_) {
        case Func::kLen:
          out.push_back(Value::of_int(static_cast<std::int64_t>(
              v.type == Type::kAddr || v.type == Type::kMac ? v.addr_len : v.s.size())));
          break;
        case Func::kLower:
        case Func::kUpper: {
          std::string& t = pool_.next();
          t.assign(v.s);
          for (char& c : t) c = static_cast<char>(f_ == Func::kLower ? std::tolower(static_cast<unsigned char>(c))
                                                                     : std::toupper(static_cast<unsigned char>(c)));
          out.push_back(Value::of_text(v.type, t));
          break;
        }
        case Func::kString: {
          std::string& t = pool_.next();
          append_value_text(t, v);
          out.push_back(Value::of_text(Type::kString, t));
          break;
        }
        case Func::kAbs: {
          Value r = v;
          if (r.type == Type::kFloat) {
            r.d = std::fabs(r.d);
          } else if (r.i < 0 && r.i != INT64_MIN) {
            r.i = -r.i;
          }
          out.push_back(r);
          break;
        }
        case Func::kEntropy: out.push_back(Value::of_float(shannon_entropy(v.s))); break;
        case Func::kRegisteredDomain: {
          const std::string_view d = registered_domain(v.s);
          if (d.empty()) break;
          std::string& t = pool_.next();
          t.assign(d);  // registered_domain may return a thread-local buffer reused by the next call
          out.push_back(Value::of_text(Type::kString, t));
          break;
        }
        default: break;
      }
    }
  }

 private:
  Func f_;
  std::vector<ValuePtr> args_;
  Values tmp_;
  StringPool pool_;
};

// --- tests -------------------------------------------------------------------

class LogicNode final : public TestNode {
 public:
  LogicNode(Tok op, TestPtr a, TestPtr b) : op_(op), a_(std::move(a)), b_(std::move(b)) {}
  bool test(const void* s) override {
    switch (op_) {
      case Tok::kAnd: return a_->test(s) && b_->test(s);
      case Tok::kOr: return a_->test(s) || b_->test(s);
      default: return a_->test(s) != b_->test(s);
    }
  }

 private:
  Tok op_;
  TestPtr a_, b_;
};

class NotNode final : public TestNode {
 public:
  explicit NotNode(TestPtr a) : a_(std::move(a)) {}
  bool test(const void* s) override { return !a_->test(s); }

 private:
  TestPtr a_;
};

class ExistsNode final : public TestNode {
 public:
  ExistsNode(ValuePtr a, bool truthy) : a_(std::move(a)), truthy_(truthy) {}
  bool test(const void* s) override {
    tmp_.clear();
    a_->eval(s, tmp_);
    if (!truthy_) return !tmp_.empty();
    for (const Value& v : tmp_) {
      switch (v.type) {
        case Type::kFloat:
          if (v.d != 0) return true;
          break;
        case Type::kString:
        case Type::kBytes:
          if (!v.s.empty()) return true;
          break;
        case Type::kAddr:
        case Type::kMac: return true;
        default:
          if (v.i != 0) return true;
      }
    }
    return false;
  }

 private:
  ValuePtr a_;
  bool truthy_;
  Values tmp_;
};

class CompareNode final : public TestNode {
 public:
  CompareNode(Tok op, ValuePtr a, ValuePtr b) : op_(op), a_(std::move(a)), b_(std::move(b)) {}
  bool test(const void* s) override {
    ta_.clear();
    a_->eval(s, ta_);
    if (ta_.empty()) return false;
    tb_.clear();
    b_->eval(s, tb_);
    if (tb_.empty()) return false;
    switch (op_) {
      case Tok::kNe: return !any([](const Value& x, const Value& y) { return value_equal(x, y); });
      case Tok::kAllEq:
        return !any([](const Value& x, const Value& y) { return !value_equal(x, y); });
      case Tok::kAnyNe: return any([](const Value& x, const Value& y) { return !value_equal(x, y); });
      case Tok::kEq: return any([](const Value& x, const Value& y) { return value_equal(x, y); });
      case Tok::kLt: return any([](const Value& x, const Value& y) { return value_order(x, y) < 0; });
      case Tok::kLe: return any([](const Value& x, const Value& y) { return value_order(x, y) <= 0; });
      case Tok::kGt: return any([](const Value& x, const Value& y) { return value_order(x, y) > 0; });
      case Tok::kGe: return any([](const Value& x, const Value& y) { return value_order(x, y) >= 0; });
      default: return false;
    }
  }

 private:
  template <class P>
  bool any(P p) const {
    for (const Value& x : ta_)
      for (const Value& y : tb_)
        if (p(x, y)) return true;
    return false;
  }
  Tok op_;
  ValuePtr a_, b_;
  Values ta_, tb_;
};

class ContainsNode final : public TestNode {
 public:
  ContainsNode(ValuePtr a, ValuePtr b) : a_(std::move(a)), b_(std::move(b)) {}
  bool test(const void* s) override {
    ta_.clear();
    a_->eval(s, ta_);
    if (ta_.empty()) return false;
    tb_.clear();
    b_->eval(s, tb_);
    for (const Value& x : ta_)
      for (const Value& y : tb_)
        if (x.s.find(y.s) != std::string_view::npos) return true;
    return false;
  }

 private:
  ValuePtr a_, b_;
  Values ta_, tb_;
};

class MatchesNode final : public TestNode {
 public:
  MatchesNode(ValuePtr a, pcre2_code* re) : a_(std::move(a)), re_(re), md_(pcre2_match_data_create_from_pattern(re, nullptr)) {}
  ~MatchesNode() override {
    pcre2_match_data_free(md_);
    pcre2_code_free(re_);
  }
  MatchesNode(const MatchesNode&) = delete;
  MatchesNode& operator=(const MatchesNode&) = delete;
  bool test(const void* s) override {
    tmp_.clear();
    a_->eval(s, tmp_);
    for (const Value& v : tmp_) {
      const int rc = pcre2_match(re_, reinterpret_cast<PCRE2_SPTR>(v.s.data()), v.s.size(), 0, 0, md_, nullptr);
      if (rc >= 0) return true;
    }
    return false;
  }

 private:
  ValuePtr a_;
  pcre2_code* re_;
  pcre2_match_data* md_;
  Values tmp_;
};

class InNode final : public TestNode {
 public:
  InNode(ValuePtr a, std::vector<SetMember> m, bool negated) : a_(std::move(a)), members_(std::move(m)), negated_(negated) {}
  bool test(const void* s) override {
    tmp_.clear();
    a_->eval(s, tmp_);
    // tshark 4.0 reads "x not in {...}" as !(x in {...}): an absent field is not in the set.
    if (tmp_.empty()) return negated_;
    bool hit = false;
    for (const Value& v : tmp_) {
      for (const SetMember& m : members_) {
        if (m.range ? value_order(v, m.lo) >= 0 && value_order(v, m.hi) <= 0 : value_equal(v, m.lo)) {
          hit = true;
          break;
        }
      }
      if (hit) break;
    }
    return negated_ ? !hit : hit;
  }

 private:
  ValuePtr a_;
  std::vector<SetMember> members_;
  bool negated_;
  Values tmp_;
};

}  // namespace

ValuePtr make_slice(ValuePtr child, std::vector<SliceRange> ranges) {
  return std::make_unique<SliceNode>(std::move(child), std::move(ranges));
}
ValuePtr make_arith(Tok op, ValuePtr a, ValuePtr b, Type result) {
  return std::make_unique<ArithNode>(op, std::move(a), std::move(b), result);
}
ValuePtr make_negate(ValuePtr a) { return std::make_unique<NegateNode>(std::move(a)); }
ValuePtr make_addr_of_string(ValuePtr a) { return std::make_unique<AddrOfStringNode>(std::move(a)); }
ValuePtr make_call(Func f, std::vector<ValuePtr> args, Type result) {
  return std::make_unique<CallNode>(f, std::move(args), result);
}
TestPtr make_logic(Tok op, TestPtr a, TestPtr b) { return std::make_unique<LogicNode>(op, std::move(a), std::move(b)); }
TestPtr make_not(TestPtr a) { return std::make_unique<NotNode>(std::move(a)); }
TestPtr make_exists(ValuePtr a) { return std::make_unique<ExistsNode>(std::move(a), false); }
TestPtr make_truthy(ValuePtr a) { return std::make_unique<ExistsNode>(std::move(a), true); }
TestPtr make_compare(Tok op, ValuePtr a, ValuePtr b) {
  return std::make_unique<CompareNode>(op, std::move(a), std::move(b));
}
TestPtr make_contains(ValuePtr a, ValuePtr b) { return std::make_unique<ContainsNode>(std::move(a), std::move(b)); }
TestPtr make_matches(ValuePtr a, pcre2_code* pattern) { return std::make_unique<MatchesNode>(std::move(a), pattern); }
TestPtr make_in(ValuePtr a, std::vector<SetMember> members, bool negated) {
  return std::make_unique<InNode>(std::move(a), std::move(members), negated);
}

std::uint64_t arithmetic_cut_count() { return g_arithmetic_cut.load(std::memory_order_relaxed); }

}  // namespace pcapscope::filter

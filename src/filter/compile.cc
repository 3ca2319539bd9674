// The compiler: resolves names against the subject's vocabulary, gives every
// literal the type its context needs, checks that operands fit their
// operators, and builds the evaluator tree. Every error carries the span of
// the text at fault.
#include <fmt/format.h>

#include <cctype>
#include <charconv>

#include "core/edit_distance.h"
#include "filter/ast.h"
#include "filter/eval.h"

namespace pcapscope::filter {
namespace {

bool numeric(Type t) { return t == Type::kBool || t == Type::kInt || t == Type::kFloat; }
bool textual(Type t) { return t == Type::kString || t == Type::kBytes; }

struct FuncInfo {
  std::string_view name;
  Func f;
};
constexpr FuncInfo kFuncs[] = {
    {"len", Func::kLen},     {"count", Func::kCount}, {"lower", Func::kLower}, {"upper", Func::kUpper},
    {"string", Func::kString}, {"abs", Func::kAbs},   {"min", Func::kMin},     {"max", Func::kMax},
    {"entropy", Func::kEntropy}, {"registered_domain", Func::kRegisteredDomain},
};

class Compiler {
 public:
  Compiler(const Vocabulary& v, Program& p) : vocab_(v), prog_(p) {}
  bool failed = false;
  CompileError err;

  TestPtr test(const Ast& a) {
    switch (a.kind) {
      case Ast::Kind::kLogic: {
        auto x = test(*a.kids[0]);
        if (!x) return nullptr;
        auto y = test(*a.kids[1]);
        if (!y) return nullptr;
        return make_logic(a.op, std::move(x), std::move(y));
      }
      case Ast::Kind::kNot: {
        auto x = test(*a.kids[0]);
        return x ? make_not(std::move(x)) : nullptr;
      }
      case Ast::Kind::kCompare: return compare(a);
      case Ast::Kind::kIn: return in(a);
      case Ast::Kind::kWord: {
        auto ref = lookup(a.text);
        if (!ref) return unknown_name(a);
        return make_exists(std::make_unique<FieldNode>(*ref));
      }
      case Ast::Kind::kSlice:
      case Ast::Kind::kCall:
      case Ast::Kind::kArith:
      case Ast::Kind::kNegate: {
        auto v = value(a, std::nullopt);
        return v ? make_truthy(std::move(v)) : nullptr;
      }
      default:
        return fail(a, "a value alone is not a test: compare it with a field (e.g. tcp.port == 80)");
    }
  }

 private:
  std::nullptr_t fail(const Ast& a, std::string msg) {
    if (!failed) {
      failed = true;
      err = {std::move(msg), a.column, a.length ? a.length : 1};
    }
    return nullptr;
  }

  std::optional<FieldRef> lookup(std::string_view name) {
    auto r = vocab_.lookup(name);
    if (r) {
      prog_.needs_app = prog_.needs_app || r->app;
      prog_.needs_uid = prog_.needs_uid || r->uid;
    }
    return r;
  }

  std::nullptr_t unknown_name(const Ast& a) {
    const auto names = vocab_.names();
    const auto best = closest_match(a.text, names);
    return fail(a, fmt::format("unknown field \"{}\"{}", a.text,
                               best ? fmt::format(" (did you mean {}?)", *best)
                                    : fmt::format(" ('pcapscope fields{}' lists the names)",
                                                  prog_.subject == Subject::kPacket ? "" : " --records")));
  }

  // A word that reads as a field name (letters and dots), not as a value.
  static bool looks_like_name(std::string_view w) {
    if (w.empty() || !std::isalpha(static_cast<unsigned char>(w[0]))) return false;
    bool dot = false;
    for (char c : w) {
      if (c == ':' || c == '/') return false;
      dot = dot || c == '.';
    }
    return dot;
  }

  static bool looks_like_identifier(std::string_view w) {
    if (looks_like_name(w)) return true;
    if (w.empty() || !std::isalpha(static_cast<unsigned char>(w[0]))) return false;
    for (char c : w)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    return true;
  }

  // Whether A is a literal whose type comes from the other side.
  bool is_literal(const Ast& a) {
    switch (a.kind) {
      case Ast::Kind::kString:
      case Ast::Kind::kChar: return true;
      case Ast::Kind::kWord: return !vocab_.lookup(a.text);
      case Ast::Kind::kNegate: return is_literal(*a.kids[0]);
      default: return false;
    }
  }

  ValuePtr literal(const Ast& a, Type t) {
    if (a.kind == Ast::Kind::kNegate) {
      const Ast& k = *a.kids[0];
      if (k.kind != Ast::Kind::kWord || !numeric(t)) return fail(a, "only numbers can be negated");
      Ast neg = {Ast::Kind::kWord, Tok::kWord, false, "-" + k.text, a.column, a.length, {}};
      return literal(neg, t);
    }
    Value v;
    std::string storage;
    if (a.kind == Ast::Kind::kChar) {
      const auto byte = static_cast<unsigned char>(a.text[0]);
      if (numeric(t)) return std::make_unique<ConstNode>(Type::kInt, Value::of_int(byte), std::string());
      if (!textual(t)) return fail(a, fmt::format("a character cannot be compared with a {}", type_name(t)));
      return std::make_unique<ConstNode>(t, Value::of_text(t, {}), a.text);
    }
    if (auto e = parse_literal(a.text, a.kind == Ast::Kind::kString, t, v, storage)) {
      // Not a value of the type needed: a word that reads as a name was most likely a mistyped field.
      const bool name = looks_like_name(a.text) ||
                        ((t == Type::kInt || t == Type::kFloat || t == Type::kTime) && looks_like_identifier(a.text));
      if (a.kind == Ast::Kind::kWord && name) return unknown_name(a);
      return fail(a, *e);
    }
    return std::make_unique<ConstNode>(v.type, v, std::move(storage));
  }

  // A value expression; EXPECTED types literals standing alone.
  ValuePtr value(const Ast& a, std::optional<Type> expected) {
    switch (a.kind) {
      case Ast::Kind::kWord: {
        if (auto ref = lookup(a.text)) return std::make_unique<FieldNode>(*ref);
        if (!expected) return unknown_name(a);
        return literal(a, *expected);
      }
      case Ast::Kind::kString:
      case Ast::Kind::kChar:
        if (!expected) return fail(a, "a value needs a field to compare with");
        return literal(a, *expected);
      case Ast::Kind::kNegate: {
        if (is_literal(a)) return expected ? literal(a, numeric(*expected) ? *expected : Type::kInt) : fail(a, "a value needs a field to compare with");
        auto x = value(*a.kids[0], expected);
        if (!x) return nullptr;
        if (!numeric(x->type)) return fail(a, fmt::format("cannot negate a {}", type_name(x->type)));
        return make_negate(std::move(x));
      }
      case Ast::Kind::kArith: return arith(a, expected);
      case Ast::Kind::kCall: return call(a);
      case Ast::Kind::kSlice: return slice(a);
      default: return fail(a, "a test cannot be used as a value here");
    }
  }

  ValuePtr arith(const Ast& a, std::optional<Type> expected) {
    const Ast& l = *a.kids[0];
    const Ast& r = *a.kids[1];
    ValuePtr x, y;
    // Literals next to arithmetic are numbers (seconds next to a time).
    auto lit_type = [&](const ValuePtr& other) {
      if (!other) return expected && numeric(*expected) ? *expected : Type::kInt;
      return other->type == Type::kFloat ? Type::kFloat : Type::kInt;
    };
    if (is_literal(l) && is_literal(r)) {
      x = literal(l, lit_type(nullptr));
      if (!x) return nullptr;
      y = literal(r, lit_type(nullptr));
    } else if (is_literal(l)) {
      y = value(r, std::nullopt);
      if (!y) return nullptr;
      x = literal(l, lit_type(y));
    } else {
      x = value(l, std::nullopt);
      if (!x) return nullptr;
      y = is_literal(r) ? literal(r, lit_type(x)) : value(r, std::nullopt);
    }
    if (!x || !y) return nullptr;
    const Type tx = x->type, ty = y->type;
    Type result;
    if (a.op == Tok::kBitAnd) {
      // Wireshark masks byte strings too (eth.dst[0] & 1): they count as big-endian numbers.
      auto maskable = [](Type t) { return t == Type::kInt || t == Type::kBool || t == Type::kBytes; };
      if (!maskable(tx) || !maskable(ty)) return fail(a, "\"&\" needs two integers or byte strings");
      result = Type::kInt;
    } else if (tx == Type::kTime || ty == Type::kTime) {
      if (tx == Type::kTime && ty == Type::kTime && a.op == Tok::kMinus) {
        result = Type::kFloat;  // a difference of times, in seconds
      } else if ((a.op == Tok::kPlus && (numeric(tx) || numeric(ty))) || (a.op == Tok::kMinus && numeric(ty))) {
        result = Type::kTime;
      } else {
        return fail(a, "times can only be shifted by seconds (+, -) or subtracted");
      }
    } else if (numeric(tx) && numeric(ty)) {
      result = tx == Type::kFloat || ty == Type::kFloat ? Type::kFloat : Type::kInt;
    } else {
      return fail(a, fmt::format("arithmetic needs numbers, not a {} and a {}", type_name(tx), type_name(ty)));
    }
    return make_arith(a.op, std::move(x), std::move(y), result);
  }

  ValuePtr call(const Ast& a) {
    const FuncInfo* fi = nullptr;
    for (const FuncInfo& f : kFuncs)
      if (f.name == a.text) fi = &f;
    if (!fi) {
      std::vector<std::string_view> names;
      for (const FuncInfo& f : kFuncs) names.push_back(f.name);
      const auto best = closest_match(a.text, names);
      std::string all;
      for (auto n : names) all += fmt::format("{}{}", all.empty() ? "" : ", ", n);
      return fail(a, fmt::format("unknown function \"{}\"{}", a.text,
                                 best ? fmt::format(" (did you mean {}?)", *best) : fmt::format(" (functions: {})", all)));
    }
    const bool many = fi->f == Func::kMin || fi->f == Func::kMax;
    if ((!many && a.kids.size() != 1) || (many && a.kids.empty()))
      return fail(a, fmt::format("{}() takes {}", fi->name, many ? "one or more arguments" : "one argument"));
    std::vector<ValuePtr> args;
    std::optional<Type> arg_type;
    // Typed arguments first, so literal arguments of min/max take their type.
    for (const auto& k : a.kids) {
      if (is_literal(*k)) continue;
      auto v = value(*k, std::nullopt);
      if (!v) return nullptr;
      if (!arg_type) arg_type = v->type;
      args.push_back(std::move(v));
    }
    for (const auto& k : a.kids) {
      if (!is_literal(*k)) continue;
      if (!many || !arg_type) return fail(*k, fmt::format("{}() needs a field or expression, not a constant", fi->name));
      auto v = literal(*k, *arg_type);
      if (!v) return nullptr;
      args.push_back(std::move(v));
    }
    const Type t = args[0]->type;
    const Ast& at = *a.kids[0];
    switch (fi->f) {
      case Func::kLen:
        if (!textual(t) && t != Type::kAddr && t != Type::kMac)
          return fail(at, fmt::format("len() needs a string, bytes or address, not a {}", type_name(t)));
        return make_call(fi->f, std::move(args), Type::kInt);
      case Func::kCount:
        if (!args[0]->is_field()) return fail(at, "count() counts the occurrences of a field: name one");
        return make_call(fi->f, std::move(args), Type::kInt);
      case Func::kLower:
      case Func::kUpper:
        if (!textual(t)) return fail(at, fmt::format("{}() needs a string, not a {}", fi->name, type_name(t)));
        return make_call(fi->f, std::move(args), t);
      case Func::kString: return make_call(fi->f, std::move(args), Type::kString);
      case Func::kAbs:
        if (!numeric(t)) return fail(at, fmt::format("abs() needs a number, not a {}", type_name(t)));
        return make_call(fi->f, std::move(args), t == Type::kBool ? Type::kInt : t);
      case Func::kMin:
      case Func::kMax: {
        Type result = t;
        for (const auto& v : args) {
          if (!(numeric(v->type) && numeric(t)) && v->type != t)
            return fail(a, fmt::format("{}() needs arguments of one kind", fi->name));
          if (v->type == Type::kFloat) result = Type::kFloat;
        }
        return make_call(fi->f, std::move(args), result);
      }
      case Func::kEntropy:
        if (!textual(t)) return fail(at, fmt::format("entropy() needs a string or bytes, not a {}", type_name(t)));
        return make_call(fi->f, std::move(args), Type::kFloat);
      case Func::kRegisteredDomain:
        if (t != Type::kString) return fail(at, fmt::format("registered_domain() needs a name (string), not a {}", type_name(t)));
        return make_call(fi->f, std::move(args), Type::kString);
    }
    return nullptr;
  }

  // "i:n", "i-j", "i", ":n", "i:" and comma lists of them.
  bool parse_slice(std::string_view spec, std::vector<SliceRange>& out) {
    auto num = [](std::string_view t, std::int64_t& v) {
      while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
      while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
      auto r = std::from_chars(t.data(), t.data() + t.size(), v);
      return !t.empty() && r.ec == std::errc() && r.ptr == t.data() + t.size() && v > -(1 << 30) && v < (1 << 30);
    };
    std::size_t pos = 0;
    while (pos <= spec.size()) {
      const std::size_t comma = spec.find(',', pos);
      const std::string_view part = spec.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
      SliceRange r;
      if (auto colon = part.find(':'); colon != std::string_view::npos) {
        const auto a = part.substr(0, colon), b = part.substr(colon + 1);
        if (a.find_first_not_of(' ') != std::string_view::npos && !num(a, r.start)) return false;
        if (b.find_first_not_of(' ') != std::string_view::npos) {
          if (!num(b, r.len) || r.len < 0) return false;
        }
      } else if (auto dash = part.find('-', 1); dash != std::string_view::npos) {
        std::int64_t end = 0;
        if (!num(part.substr(0, dash), r.start) || !num(part.substr(dash + 1), end)) return false;
        if (r.start < 0 || end < r.start) return false;
        r.len = end - r.start + 1;
      } else {
        if (!num(part, r.start)) return false;
        r.len = 1;
      }
      out.push_back(r);
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    return !out.empty();
  }

  ValuePtr slice(const Ast& a) {
    auto child = value(*a.kids[0], std::nullopt);
    if (!child) return nullptr;
    if (!textual(child->type) && child->type != Type::kAddr && child->type != Type::kMac)
      return fail(a, fmt::format("only byte strings, strings, addresses and protocols can be sliced, not a {}",
                                 type_name(child->type)));
    std::vector<SliceRange> ranges;
    if (!parse_slice(a.text, ranges))
      return fail(a, fmt::format("bad slice [{}]: use [i:n], [i-j], [i], [:n] or [i:]", a.text));
    return make_slice(std::move(child), std::move(ranges));
  }

  static bool comparable(Type a, Type b) {
    if (numeric(a) && numeric(b)) return true;
    if (textual(a) && textual(b)) return true;
    if ((a == Type::kTime && numeric(b)) || (b == Type::kTime && numeric(a))) return true;
    return a == b;
  }

  // An unquoted address or network literal.
  static bool is_addr_word(const Ast& a) {
    if (a.kind != Ast::Kind::kWord) return false;
    Value v;
    std::string storage;
    return !parse_literal(a.text, false, Type::kAddr, v, storage);
  }

  // Compiles both sides of a binary test: the typed side first, the literal next to it.
  // A string field next to an address literal (dns answers == 10.0.0.0/8) is read as
  // addresses; strings that are not addresses have no value.
  bool operands(const Ast& l, const Ast& r, ValuePtr& x, ValuePtr& y) {
    if (!is_literal(l) && is_addr_word(r)) {
      x = value(l, std::nullopt);
      if (!x) return false;
      if (x->type == Type::kString) x = make_addr_of_string(std::move(x));
      y = value(r, x->type);
      return x && y;
    }
    if (is_literal(l) && is_literal(r)) {
      // Two constants: a mistyped field name is the likelier story.
      if (l.kind == Ast::Kind::kWord && looks_like_identifier(l.text)) return unknown_name(l), false;
      if (r.kind == Ast::Kind::kWord && looks_like_identifier(r.text)) return unknown_name(r), false;
      fail(l, "both sides are constants: one side must be a field");
      return false;
    }
    if (is_literal(l)) {
      y = value(r, std::nullopt);
      if (!y) return false;
      x = value(l, y->type);
    } else {
      x = value(l, std::nullopt);
      if (!x) return false;
      y = value(r, x->type);
    }
    return x && y;
  }

  TestPtr compare(const Ast& a) {
    const Ast& l = *a.kids[0];
    const Ast& r = *a.kids[1];
    if (a.op == Tok::kMatches) {
      auto x = value(l, std::nullopt);
      if (!x) return nullptr;
      if (!textual(x->type)) return fail(l, fmt::format("\"matches\" needs a string or bytes, not a {}", type_name(x->type)));
      if (r.kind != Ast::Kind::kString) return fail(r, "\"matches\" needs a regular expression in quotes");
      int code = 0;
      PCRE2_SIZE offset = 0;
      // Case-insensitive by default, as Wireshark's matches is; (?-i) turns it off.
      pcre2_code* re = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(r.text.data()), r.text.size(),
                                     PCRE2_CASELESS | PCRE2_DOTALL | PCRE2_NEVER_BACKSLASH_C, &code, &offset, nullptr);
      if (!re) {
        PCRE2_UCHAR buf[256];
        pcre2_get_error_message(code, buf, sizeof buf);
        return fail(r, fmt::format("bad regular expression: {} (at offset {} of the pattern)", reinterpret_cast<const char*>(buf), offset));
      }
      return make_matches(std::move(x), re);
    }
    ValuePtr x, y;
    if (!operands(l, r, x, y)) return nullptr;
    if (a.op == Tok::kContains) {
      if (!textual(x->type)) return fail(l, fmt::format("\"contains\" needs a string, bytes or protocol, not a {}", type_name(x->type)));
      if (!textual(y->type)) return fail(r, fmt::format("\"contains\" looks for a string or bytes, not a {}", type_name(y->type)));
      return make_contains(std::move(x), std::move(y));
    }
    if (!comparable(x->type, y->type))
      return fail(a, fmt::format("cannot compare a {} with a {}", type_name(x->type), type_name(y->type)));
    return make_compare(a.op, std::move(x), std::move(y));
  }

  TestPtr in(const Ast& a) {
    auto x = value(*a.kids[0], std::nullopt);
    if (!x) return nullptr;
    if (x->type == Type::kString && a.kids.size() > 1) {
      const Ast& first = a.kids[1]->kind == Ast::Kind::kRange ? *a.kids[1]->kids[0] : *a.kids[1];
      if (is_addr_word(first)) x = make_addr_of_string(std::move(x));
    }
    std::vector<SetMember> members;
    for (std::size_t k = 1; k < a.kids.size(); ++k) {
      const Ast& m = *a.kids[k];
      SetMember sm;
      auto one = [&](const Ast& lit, Value& out, std::unique_ptr<std::string>& storage) {
        if (!is_literal(lit)) return fail(lit, "set members must be values"), false;
        auto c = literal(lit, x->type);
        if (!c) return false;
        const auto* cn = static_cast<const ConstNode*>(c.get());
        out = cn->value();
        storage = std::make_unique<std::string>(out.s);
        if (textual(out.type)) out.s = *storage;
        return true;
      };
      if (m.kind == Ast::Kind::kRange) {
        if (!one(*m.kids[0], sm.lo, sm.storage_lo) || !one(*m.kids[1], sm.hi, sm.storage_hi)) return nullptr;
        sm.range = true;
      } else {
        if (!one(m, sm.lo, sm.storage_lo)) return nullptr;
      }
      if (!comparable(x->type, sm.lo.type))
        return fail(m, fmt::format("cannot compare a {} with a {}", type_name(x->type), type_name(sm.lo.type)));
      members.push_back(std::move(sm));
    }
    return make_in(std::move(x), std::move(members), a.negated);
  }

  const Vocabulary& vocab_;
  Program& prog_;
};

}  // namespace

std::string_view subject_name(Subject s) {
  switch (s) {
    case Subject::kPacket: return "packet";
    case Subject::kConn: return "conn";
    case Subject::kDns: return "dns";
    case Subject::kHttp: return "http";
    case Subject::kSsl: return "ssl";
    case Subject::kSsh: return "ssh";
    case Subject::kAlert: return "alert";
  }
  return "?";
}

const Vocabulary& vocabulary(Subject s) { return s == Subject::kPacket ? packet_vocabulary() : record_vocabulary(s); }

std::vector<std::string_view> field_names(Subject s) { return vocabulary(s).names(); }

std::string CompileError::render(std::string_view expression) const {
  const std::size_t col = std::min(column, expression.size());
  const std::size_t len = std::max<std::size_t>(1, std::min(length, expression.size() - col + (col == expression.size())));
  std::string caret(col, ' ');
  // Tabs stay tabs so the caret lines up in a terminal.
  for (std::size_t i = 0; i < col; ++i)
    if (expression[i] == '\t') caret[i] = '\t';
  caret += '^';
  caret.append(len - 1, '~');
  return fmt::format("{} (column {})\n    {}\n    {}", message, col + 1, expression, caret);
}

std::variant<Filter, CompileError> Filter::compile(std::string_view expression, Subject subject) {
  if (expression.find_first_not_of(" \t\r\n") == std::string_view::npos) return CompileError{"the filter is empty", 0, 1};
  std::vector<Token> tokens;
  LexError lerr;
  if (!tokenize(expression, tokens, lerr)) return CompileError{lerr.message, lerr.column, lerr.length};
  ParseError perr;
  auto ast = parse(tokens, perr);
  if (!ast) return CompileError{perr.message, perr.column, perr.length};
  auto prog = std::make_unique<Program>();
  prog->subject = subject;
  Compiler c(vocabulary(subject), *prog);
  prog->root = c.test(*ast);
  if (!prog->root) return c.failed ? c.err : CompileError{"cannot compile the filter", 0, expression.size()};
  return Filter(std::move(prog));
}

Filter::Filter(std::unique_ptr<Program> p) : program_(std::move(p)) {}
Filter::Filter(Filter&&) noexcept = default;
Filter& Filter::operator=(Filter&&) noexcept = default;
Filter::~Filter() = default;

Subject Filter::subject() const { return program_->subject; }
bool Filter::needs_app_fields() const { return program_->needs_app; }
bool Filter::needs_uid() const { return program_->needs_uid; }

bool Filter::matches_raw(Subject s, const void* subject) const {
  return s == program_->subject && program_->root->test(subject);
}
bool Filter::matches(const DecodedPacket& p) const { return matches_raw(Subject::kPacket, &p); }
bool Filter::matches(const SessionRecord& r) const { return matches_raw(Subject::kConn, &r); }
bool Filter::matches(const DnsLogRecord& r) const { return matches_raw(Subject::kDns, &r); }
bool Filter::matches(const HttpLogRecord& r) const { return matches_raw(Subject::kHttp, &r); }
bool Filter::matches(const SslLogRecord& r) const { return matches_raw(Subject::kSsl, &r); }
bool Filter::matches(const SshLogRecord& r) const { return matches_raw(Subject::kSsh, &r); }

}  // namespace pcapscope::filter

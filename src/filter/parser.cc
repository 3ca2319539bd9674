// Recursive descent over Wireshark's display-filter grammar (4.0), lowest
// precedence first:
//
//   expr     := xor_expr ( "||" xor_expr )*
//   xor_expr := and_expr ( "^^" and_expr )*
//   and_expr := unary ( "&&" unary )*
//   unary    := "!" unary | relation
//   relation := sum [ cmp sum | "contains" sum | "matches" sum | ["not"] "in" set ]
//   sum      := product ( ("+" | "-") product )*
//   product  := bitand ( ("*" | "/" | "%") bitand )*
//   bitand   := signed ( "&" signed )*
//   signed   := "-" signed | postfix
//   postfix  := primary slice*
//   primary  := WORD | STRING | CHAR | WORD "(" args ")" | "(" expr ")" | "{" expr "}"
//
// Wireshark groups arithmetic with braces; parentheses work here as well since
// a parenthesised relation and a parenthesised sum are told apart by type at
// compile time.
#include <fmt/format.h>

#include "filter/ast.h"

namespace pcapscope::filter {
namespace {

class Parser {
 public:
  Parser(const std::vector<Token>& t, ParseError& e) : toks_(t), err_(e) {}

  std::unique_ptr<Ast> run() {
    auto e = expr();
    if (!e) return nullptr;
    if (peek().kind != Tok::kEnd) return fail(peek(), fmt::format("unexpected {} after a complete filter", describe(peek())));
    return e;
  }

 private:
  const Token& peek(std::size_t ahead = 0) const {
    const std::size_t k = pos_ + ahead;
    return toks_[k < toks_.size() ? k : toks_.size() - 1];
  }
  const Token& take() {
    const Token& t = peek();
    if (pos_ < toks_.size() - 1) ++pos_;
    return t;
  }
  bool at(Tok k) const { return peek().kind == k; }

  static std::string describe(const Token& t) {
    if (t.kind == Tok::kWord) return fmt::format("\"{}\"", t.text);
    return std::string(token_name(t.kind));
  }

  std::unique_ptr<Ast> fail(const Token& t, std::string msg) {
    if (!failed_) {
      err_ = {std::move(msg), t.column, t.length ? t.length : 1};
      failed_ = true;
    }
    return nullptr;
  }

  static std::unique_ptr<Ast> node(Ast::Kind k, const Token& t) {
    auto n = std::make_unique<Ast>();
    n->kind = k;
    n->op = t.kind;
    n->column = t.column;
    n->length = t.length;
    return n;
  }
  // A node spanning from A's start to B's end.
  static std::unique_ptr<Ast> join(Ast::Kind k, Tok op, std::unique_ptr<Ast> a, std::unique_ptr<Ast> b) {
    auto n = std::make_unique<Ast>();
    n->kind = k;
    n->op = op;
    n->column = a->column;
    n->length = b->column + b->length - a->column;
    n->kids.push_back(std::move(a));
    n->kids.push_back(std::move(b));
    return n;
  }

  struct Depth {
    explicit Depth(int& d) : d_(d) { ++d_; }
    ~Depth() { --d_; }
    int& d_;
  };
  bool too_deep() {
    if (depth_ <= kMaxDepth) return false;
    fail(peek(), fmt::format("filter nested deeper than {} levels", kMaxDepth));
    return true;
  }

  template <class Next>
  std::unique_ptr<Ast> left_assoc(Next next, std::initializer_list<Tok> ops, Ast::Kind kind) {
    auto lhs = (this->*next)();
    while (lhs) {
      const Tok k = peek().kind;
      bool match = false;
      for (Tok o : ops) match = match || o == k;
      if (!match) break;
      const Token& op = take();
      auto rhs = (this->*next)();
      if (!rhs) {
        if (!failed_) fail(op, fmt::format("{} needs something on its right", token_name(op.kind)));
        return nullptr;
      }
      lhs = join(kind, op.kind, std::move(lhs), std::move(rhs));
    }
    return lhs;
  }

  std::unique_ptr<Ast> expr() {
    Depth d(depth_);
    if (too_deep()) return nullptr;
    return left_assoc(&Parser::xor_expr, {Tok::kOr}, Ast::Kind::kLogic);
  }
  std::unique_ptr<Ast> xor_expr() { return left_assoc(&Parser::and_expr, {Tok::kXor}, Ast::Kind::kLogic); }
  std::unique_ptr<Ast> and_expr() { return left_assoc(&Parser::unary, {Tok::kAnd}, Ast::Kind::kLogic); }

  std::unique_ptr<Ast> unary() {
    if (at(Tok::kNot)) {
      Depth d(depth_);
      if (too_deep()) return nullptr;
      const Token& t = take();
      auto operand = unary();
      if (!operand) return failed_ ? nullptr : fail(t, "\"!\" needs something to negate");
      auto n = node(Ast::Kind::kNot, t);
      n->length = operand->column + operand->length - t.column;
      n->kids.push_back(std::move(operand));
      return n;
    }
    return relation();
  }

  static bool is_compare(Tok k) {
    switch (k) {
      case Tok::kEq: case Tok::kNe: case Tok::kAllEq: case Tok::kAnyNe: case Tok::kLt: case Tok::kLe: case Tok::kGt:
      case Tok::kGe: case Tok::kContains: case Tok::kMatches: return true;
      default: return false;
    }
  }

  std::unique_ptr<Ast> relation() {
    auto lhs = sum();
    if (!lhs) return nullptr;
    if (is_compare(peek().kind)) {
      const Token& op = take();
      auto rhs = sum();
      if (!rhs) return failed_ ? nullptr : fail(op, fmt::format("{} needs a value on its right", token_name(op.kind)));
      return join(Ast::Kind::kCompare, op.kind, std::move(lhs), std::move(rhs));
    }
    bool negated = false;
    if (at(Tok::kNot) && peek(1).kind == Tok::kIn) {
      take();
      negated = true;
    }
    if (at(Tok::kIn)) {
      const Token& in = take();
      if (!at(Tok::kLBrace)) return fail(peek(), "\"in\" needs a set in braces, e.g. {80, 443, 8000..8080}");
      take();
      auto n = std::make_unique<Ast>();
      n->kind = Ast::Kind::kIn;
      n->op = in.kind;
      n->negated = negated;
      n->column = lhs->column;
      n->kids.push_back(std::move(lhs));
      while (true) {
        auto lo = sum();
        if (!lo) return failed_ ? nullptr : fail(peek(), "expected a set member");
        if (at(Tok::kRange)) {
          const Token& r = take();
          auto hi = sum();
          if (!hi) return failed_ ? nullptr : fail(r, "\"..\" needs an upper bound");
          lo = join(Ast::Kind::kRange, Tok::kRange, std::move(lo), std::move(hi));
        }
        n->kids.push_back(std::move(lo));
        if (at(Tok::kComma)) {
          take();
          continue;
        }
        if (at(Tok::kRBrace)) break;
        // Wireshark 3 separated members by spaces; 4.0 wants commas, and so do we.
        return fail(peek(), fmt::format("expected \",\" or \"}}\" in the set, found {}", describe(peek())));
      }
      const Token& close = take();
      n->length = close.column + close.length - n->column;
      return n;
    }
    return lhs;
  }

  std::unique_ptr<Ast> sum() { return left_assoc(&Parser::product, {Tok::kPlus, Tok::kMinus}, Ast::Kind::kArith); }
  std::unique_ptr<Ast> product() {
    return left_assoc(&Parser::bitand_expr, {Tok::kStar, Tok::kSlash, Tok::kPercent}, Ast::Kind::kArith);
  }
  std::unique_ptr<Ast> bitand_expr() { return left_assoc(&Parser::signed_expr, {Tok::kBitAnd}, Ast::Kind::kArith); }

  std::unique_ptr<Ast> signed_expr() {
    if (at(Tok::kMinus)) {
      Depth d(depth_);
      if (too_deep()) return nullptr;
      const Token& t = take();
      auto operand = signed_expr();
      if (!operand) return failed_ ? nullptr : fail(t, "\"-\" needs a value");
      auto n = node(Ast::Kind::kNegate, t);
      n->length = operand->column + operand->length - t.column;
      n->kids.push_back(std::move(operand));
      return n;
    }
    auto p = primary();
    while (p && at(Tok::kSlice)) {
      const Token& s = take();
      auto n = node(Ast::Kind::kSlice, s);
      n->text = s.text;
      n->column = p->column;
      n->length = s.column + s.length - p->column;
      n->kids.push_back(std::move(p));
      p = std::move(n);
    }
    return p;
  }

  std::unique_ptr<Ast> primary() {
    const Token& t = peek();
    switch (t.kind) {
      case Tok::kWord: {
        take();
        if (at(Tok::kLParen)) return call(t);
        auto n = node(Ast::Kind::kWord, t);
        n->text = t.text;
        return n;
      }
      case Tok::kString:
      case Tok::kChar: {
        take();
        auto n = node(t.kind == Tok::kString ? Ast::Kind::kString : Ast::Kind::kChar, t);
        n->text = t.text;
        return n;
      }
      case Tok::kLParen:
      case Tok::kLBrace: {
        take();
        const Tok close = t.kind == Tok::kLParen ? Tok::kRParen : Tok::kRBrace;
        auto e = expr();
        if (!e) return failed_ ? nullptr : fail(peek(), fmt::format("expected a filter after {}", token_name(t.kind)));
        if (!at(close)) return fail(peek(), fmt::format("expected {} to close the {} at column {}, found {}",
                                                        token_name(close), token_name(t.kind), t.column + 1, describe(peek())));
        const Token& c = take();
        e->column = t.column;
        e->length = c.column + c.length - t.column;
        return e;
      }
      case Tok::kEnd: return fail(t, "the filter ends where a value was expected");
      default: return fail(t, fmt::format("expected a field, value or \"(\", found {}", describe(t)));
    }
  }

  std::unique_ptr<Ast> call(const Token& name) {
    Depth d(depth_);
    if (too_deep()) return nullptr;
    take();  // (
    auto n = node(Ast::Kind::kCall, name);
    n->text = name.text;
    if (!at(Tok::kRParen)) {
      while (true) {
        auto arg = expr();
        if (!arg) return failed_ ? nullptr : fail(peek(), "expected a function argument");
        n->kids.push_back(std::move(arg));
        if (at(Tok::kComma)) {
          take();
          continue;
        }
        break;
      }
    }
    if (!at(Tok::kRParen)) return fail(peek(), fmt::format("expected \")\" to close {}(, found {}", name.text, describe(peek())));
    const Token& c = take();
    n->length = c.column + c.length - name.column;
    return n;
  }

  const std::vector<Token>& toks_;
  ParseError& err_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  bool failed_ = false;
};

}  // namespace

std::unique_ptr<Ast> parse(const std::vector<Token>& tokens, ParseError& err) {
  Parser p(tokens, err);
  return p.run();
}

}  // namespace pcapscope::filter

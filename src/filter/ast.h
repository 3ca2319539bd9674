// The syntax tree of a filter, before any name is resolved. Every node keeps
// the span of text it came from so compile errors can point at it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "filter/lexer.h"

namespace pcapscope::filter {

struct Ast {
  enum class Kind : std::uint8_t {
    kLogic,     // op: kAnd / kOr / kXor; kids: two operands
    kNot,       // kids: one operand
    kCompare,   // op: kEq ... kGe, kContains, kMatches; kids: lhs, rhs
    kIn,        // kids: lhs, then set members (kRange nodes or values); negated for "not in"
    kRange,     // set member lo..hi; kids: lo, hi
    kArith,     // op: kPlus ... kBitAnd; kids: lhs, rhs
    kNegate,    // unary minus; kids: one operand
    kCall,      // text: function name; kids: arguments
    kSlice,     // text: what is between the brackets; kids: the sliced value
    kWord,      // text: a field name, protocol name or unquoted literal (decided at compile time)
    kString,    // text: unescaped string
    kChar,      // text: one byte
  };
  Kind kind;
  Tok op = Tok::kEnd;
  bool negated = false;
  std::string text;
  std::size_t column = 0;
  std::size_t length = 0;
  std::vector<std::unique_ptr<Ast>> kids;
};

struct ParseError {
  std::string message;
  std::size_t column = 0;
  std::size_t length = 1;
};

// Parses TOKENS (ending with kEnd). Nesting deeper than kMaxDepth is an error,
// not a stack overflow: filters come from users, and from fuzzers.
inline constexpr int kMaxDepth = 200;
std::unique_ptr<Ast> parse(const std::vector<Token>& tokens, ParseError& err);

}  // namespace pcapscope::filter

// Tokens of the filter language. Words are deliberately loose (Wireshark's
// "unparsed" literals): `10.0.0.0/8`, `fe80::1`, `00:11:22:33:44:55`,
// `ip.src` and `0x12` are all one word, and the compiler decides what a word
// means from where it stands (a field name, else a literal of the type the
// other side of the comparison needs).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace pcapscope::filter {

enum class Tok : std::uint8_t {
  kEnd,
  kWord,      // field name, keyword or unquoted literal
  kString,    // "..." or r"..." (text holds the unescaped value)
  kChar,      // 'a' (text holds the byte)
  kSlice,     // [...] (text holds what is between the brackets)
  kLParen, kRParen, kLBrace, kRBrace, kComma, kRange,  // ( ) { } , ..
  kEq, kNe, kAllEq, kAnyNe, kLt, kLe, kGt, kGe,        // == != === ~= (!==) < <= > >=
  kAnd, kOr, kXor, kNot,                                // && || ^^ !
  kPlus, kMinus, kStar, kSlash, kPercent, kBitAnd,      // + - * / % &
  kMatches, kContains, kIn,                             // ~ matches, contains, in
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;         // word text, or the unescaped string/char/slice contents
  std::size_t column = 0;   // byte offset in the expression
  std::size_t length = 0;   // bytes the token spans in the expression
};

struct LexError {
  std::string message;
  std::size_t column = 0;
  std::size_t length = 1;
};

// Splits EXPR into tokens ending with kEnd, or reports the first bad character.
bool tokenize(std::string_view expr, std::vector<Token>& out, LexError& err);

std::string_view token_name(Tok t);  // for messages: "\"==\"", "end of filter" ...

}  // namespace pcapscope::filter

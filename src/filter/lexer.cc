#include "filter/lexer.h"

#include <fmt/format.h>

#include <cctype>
#include <utility>

namespace pcapscope::filter {
namespace {

bool is_word_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || c == '.' || c == ':' || c == '/';
}

// Words start with a letter, digit, underscore or colon (::1); '.' and '/'
// only continue them, so `tcp.len / 2` is three tokens.
bool is_word_start(char c) {
  const auto u = static_cast<unsigned char>(c);
  return std::isalnum(u) || c == '_' || c == ':';
}

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

// Keywords written as words, mapped to the operator tokens they spell.
bool keyword(std::string_view w, Tok& t) {
  static constexpr std::pair<std::string_view, Tok> kWords[] = {
      {"and", Tok::kAnd},       {"or", Tok::kOr},           {"xor", Tok::kXor},       {"not", Tok::kNot},
      {"eq", Tok::kEq},         {"any_eq", Tok::kEq},       {"ne", Tok::kNe},         {"all_ne", Tok::kNe},
      {"all_eq", Tok::kAllEq},  {"any_ne", Tok::kAnyNe},    {"lt", Tok::kLt},         {"le", Tok::kLe},
      {"gt", Tok::kGt},         {"ge", Tok::kGe},           {"matches", Tok::kMatches}, {"contains", Tok::kContains},
      {"in", Tok::kIn},         {"bitand", Tok::kBitAnd},
  };
  for (const auto& [word, tok] : kWords) {
    if (w == word) {
      t = tok;
      return true;
    }
  }
  return false;
}

// Reads a quoted string starting at the quote in EXPR[I]; RAW strings keep backslashes.
bool read_string(std::string_view expr, std::size_t& i, bool raw, char quote, std::string& out, LexError& err) {
  const std::size_t start = i;
  ++i;
  while (i < expr.size() && expr[i] != quote) {
    char c = expr[i];
    if (c != '\\' || raw) {
      // A raw string still lets \" stand for a quote, as Wireshark's r"" does.
      if (raw && c == '\\' && i + 1 < expr.size() && expr[i + 1] == quote) {
        out += '\\';
        out += quote;
        i += 2;
        continue;
      }
      out += c;
      ++i;
      continue;
    }
    if (i + 1 >= expr.size()) break;
    const char e = expr[i + 1];
    i += 2;
    switch (e) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        // \ooo: up to three octal digits
        unsigned v = static_cast<unsigned>(e - '0');
        for (int k = 0; k < 2 && i < expr.size() && expr[i] >= '0' && expr[i] <= '7'; ++k) v = v * 8 + static_cast<unsigned>(expr[i++] - '0');
        if (v > 255) {
          err = {"octal escape above \\377", i - 4, 4};
          return false;
        }
        out += static_cast<char>(v);
        break;
      }
      case 'x': {
        if (i + 1 >= expr.size() || !is_hex(expr[i]) || !is_hex(expr[i + 1])) {
          err = {"\\x needs two hex digits", i - 2, 2};
          return false;
        }
        out += static_cast<char>(std::stoi(std::string(expr.substr(i, 2)), nullptr, 16));
        i += 2;
        break;
      }
      default: out += e; break;  // \\ \" \' and any other escaped character: itself
    }
  }
  if (i >= expr.size()) {
    err = {"unterminated string", start, expr.size() - start};
    return false;
  }
  ++i;  // closing quote
  return true;
}

}  // namespace

std::string_view token_name(Tok t) {
  switch (t) {
    case Tok::kEnd: return "end of filter";
    case Tok::kWord: return "a name or value";
    case Tok::kString: return "a string";
    case Tok::kChar: return "a character";
    case Tok::kSlice: return "a slice";
    case Tok::kLParen: return "\"(\"";
    case Tok::kRParen: return "\")\"";
    case Tok::kLBrace: return "\"{\"";
    case Tok::kRBrace: return "\"}\"";
    case Tok::kComma: return "\",\"";
    case Tok::kRange: return "\"..\"";
    case Tok::kEq: return "\"==\"";
    case Tok::kNe: return "\"!=\"";
    case Tok::kAllEq: return "\"===\"";
    case Tok::kAnyNe: return "\"~=\"";
    case Tok::kLt: return "\"<\"";
    case Tok::kLe: return "\"<=\"";
    case Tok::kGt: return "\">\"";
    case Tok::kGe: return "\">=\"";
    case Tok::kAnd: return "\"&&\"";
    case Tok::kOr: return "\"||\"";
    case Tok::kXor: return "\"^^\"";
    case Tok::kNot: return "\"!\"";
    case Tok::kPlus: return "\"+\"";
    case Tok::kMinus: return "\"-\"";
    case Tok::kStar: return "\"*\"";
    case Tok::kSlash: return "\"/\"";
    case Tok::kPercent: return "\"%\"";
    case Tok::kBitAnd: return "\"&\"";
    case Tok::kMatches: return "\"matches\"";
    case Tok::kContains: return "\"contains\"";
    case Tok::kIn: return "\"in\"";
  }
  return "?";
}

bool tokenize(std::string_view expr, std::vector<Token>& out, LexError& err) {
  out.clear();
  std::size_t i = 0;
  auto push = [&](Tok k, std::size_t start, std::string text = {}) {
    out.push_back(Token{k, std::move(text), start, i - start});
  };
  while (i < expr.size()) {
    const char c = expr[i];
    const std::size_t start = i;
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80 || c == '\0') {
      err = {fmt::format("unexpected byte 0x{:02x}", static_cast<unsigned char>(c)), i, 1};
      return false;
    }
    auto two = [&](char a, char b) { return c == a && i + 1 < expr.size() && expr[i + 1] == b; };
    if (c == '"' || ((c == 'r' || c == 'R') && i + 1 < expr.size() && expr[i + 1] == '"')) {
      const bool raw = c != '"';
      if (raw) ++i;
      std::string s;
      if (!read_string(expr, i, raw, '"', s, err)) return false;
      push(Tok::kString, start, std::move(s));
      continue;
    }
    if (c == '\'') {
      std::string s;
      if (!read_string(expr, i, false, '\'', s, err)) return false;
      if (s.size() != 1) {
        err = {"a character literal holds exactly one character", start, i - start};
        return false;
      }
      push(Tok::kChar, start, std::move(s));
      continue;
    }
    if (c == '[') {
      const std::size_t close = expr.find(']', i);
      if (close == std::string_view::npos) {
        err = {"unterminated slice: missing \"]\"", start, expr.size() - start};
        return false;
      }
      i = close + 1;
      push(Tok::kSlice, start, std::string(expr.substr(start + 1, close - start - 1)));
      continue;
    }
    if (two('.', '.')) {
      i += 2;
      push(Tok::kRange, start);
      continue;
    }
    if (is_word_start(c)) {
      while (i < expr.size()) {
        if (expr[i] == '.' && i + 1 < expr.size() && expr[i + 1] == '.') break;  // 8000..8080
        if (is_word_char(expr[i])) {
          ++i;
          continue;
        }
        // MAC addresses written with dashes (00-11-22-33-44-55): a dash continues a word of
        // dash-separated hex pairs only.
        if (expr[i] == '-' && i + 2 < expr.size() && is_hex(expr[i + 1]) && is_hex(expr[i + 2])) {
          const std::string_view sofar = expr.substr(start, i - start);
          bool pairs = sofar.size() % 3 == 2;
          for (std::size_t k = 0; pairs && k < sofar.size(); ++k)
            pairs = (k % 3 == 2) ? sofar[k] == '-' : is_hex(sofar[k]);
          if (pairs) {
            i += 3;
            continue;
          }
        }
        break;
      }
      std::string w(expr.substr(start, i - start));
      Tok t;
      if (keyword(w, t)) {
        push(t, start);
      } else {
        push(Tok::kWord, start, std::move(w));
      }
      continue;
    }
    Tok t;
    std::size_t n = 1;
    if (expr.substr(i, 3) == "===") {
      t = Tok::kAllEq, n = 3;
    } else if (expr.substr(i, 3) == "!==") {
      t = Tok::kAnyNe, n = 3;
    } else if (two('=', '=')) {
      t = Tok::kEq, n = 2;
    } else if (two('!', '=')) {
      t = Tok::kNe, n = 2;
    } else if (two('~', '=')) {
      t = Tok::kAnyNe, n = 2;
    } else if (two('<', '=')) {
      t = Tok::kLe, n = 2;
    } else if (two('>', '=')) {
      t = Tok::kGe, n = 2;
    } else if (two('&', '&')) {
      t = Tok::kAnd, n = 2;
    } else if (two('|', '|')) {
      t = Tok::kOr, n = 2;
    } else if (two('^', '^')) {
      t = Tok::kXor, n = 2;
    } else {
      switch (c) {
        case '(': t = Tok::kLParen; break;
        case ')': t = Tok::kRParen; break;
        case '{': t = Tok::kLBrace; break;
        case '}': t = Tok::kRBrace; break;
        case ',': t = Tok::kComma; break;
        case '<': t = Tok::kLt; break;
        case '>': t = Tok::kGt; break;
        case '!': t = Tok::kNot; break;
        case '+': t = Tok::kPlus; break;
        case '-': t = Tok::kMinus; break;
        case '*': t = Tok::kStar; break;
        case '/': t = Tok::kSlash; break;
        case '%': t = Tok::kPercent; break;
        case '&': t = Tok::kBitAnd; break;
        case '~': t = Tok::kMatches; break;
        case '=':
          err = {"\"=\" is not an operator; use \"==\"", i, 1};
          return false;
        default:
          err = {fmt::format("unexpected character '{}'", c), i, 1};
          return false;
      }
    }
    i += n;
    push(t, start);
  }
  out.push_back(Token{Tok::kEnd, {}, expr.size(), 0});
  return true;
}

}  // namespace pcapscope::filter

#include "output/zeek_format.h"

#include <fmt/format.h>

#include <iterator>

#include "core/time_format.h"

namespace pcapscope {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_hex_escape(std::string& out, unsigned char c) {
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 15];
}

// Length of the well-formed UTF-8 sequence at S[I] (RFC 3629: no overlongs,
// no surrogates, nothing past U+10FFFF), 0 when there is none.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xbf;  // bounds of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    n = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    n = 3;
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    n = 4;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (b(1) < lo || b(1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (b(k) < 0x80 || b(k) > 0xbf) return 0;
  }
  return n;
}

// Walks S: ASCII bytes go to ON_ASCII, well-formed UTF-8 sequences are copied,
// stray high bytes go to ON_BAD.
template <typename Ascii, typename Bad>
void walk_utf8(std::string& out, std::string_view s, Ascii on_ascii, Bad on_bad) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      on_ascii(c);
      ++i;
      continue;
    }
    if (std::size_t n = utf8_length(s, i)) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      on_bad(c);
      ++i;
    }
  }
}

}  // namespace

void append_seconds_us(std::string& out, std::int64_t ns) {
  // Zeek prints times and intervals with microseconds; integer arithmetic
  // keeps a nanosecond epoch exact where a double would not.
  const bool neg = ns < 0;
  const std::uint64_t a = neg ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  const std::uint64_t us = (a + 500) / 1000;
  fmt::format_to(std::back_inserter(out), "{}{}.{:06}", neg ? "-" : "", us / 1000000, us % 1000000);
}

std::string zeek_date(std::int64_t ns) {
  // Zeek's "%Y-%m-%d-%H-%M-%S" from the ISO form.
  std::string iso = format_iso8601(ns);  // 2023-11-14T22:13:20.123456789Z
  std::string d = iso.substr(0, 19);
  for (char& c : d) {
    if (c == 'T' || c == ':') c = '-';
  }
  return d;
}

void append_zeek_preamble(std::string& out, std::string_view path, std::int64_t open_ts_ns) {
  out += "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t";
  out += path;
  out += "\n#open\t" + zeek_date(open_ts_ns) + "\n";
}

void append_zeek_close(std::string& out, std::int64_t ts_ns) { out += "#close\t" + zeek_date(ts_ns) + "\n"; }

void append_zeek_string(std::string& out, std::string_view s, bool in_container) {
  if (s.empty()) {
    out += "(empty)";
    return;
  }
  // Zeek escapes the first byte of a value that would read as a placeholder.
  if (s == "-" || s == "(empty)") {
    append_hex_escape(out, static_cast<unsigned char>(s[0]));
    out.append(s.substr(1));
    return;
  }
  walk_utf8(
      out, s,
      [&](unsigned char c) {
        if (c < 0x20 || c == 0x7f || c == '\\' || (in_container && c == ','))
          append_hex_escape(out, c);
        else
          out += static_cast<char>(c);
      },
      [&](unsigned char c) { append_hex_escape(out, c); });
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  walk_utf8(
      out, s,
      [&](unsigned char c) {
        switch (c) {
          case '"': out += "\\\""; return;
          case '\\': out += "\\\\"; return;
          case '\b': out += "\\b"; return;
          case '\f': out += "\\f"; return;
          case '\n': out += "\\n"; return;
          case '\r': out += "\\r"; return;
          case '\t': out += "\\t"; return;
          default: break;
        }
        if (c < 0x20 || c == 0x7f)
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        else
          out += static_cast<char>(c);
      },
      [&](unsigned char c) {
        out += '\\';  // a literal backslash in the decoded string: "\xHH" as Zeek writes it
        append_hex_escape(out, c);
      });
  out += '"';
}

void append_printable(std::string& out, std::string_view s) {
  walk_utf8(
      out, s,
      [&](unsigned char c) {
        if (c < 0x20 || c == 0x7f)
          append_hex_escape(out, c);
        else
          out += static_cast<char>(c);
      },
      [&](unsigned char c) { append_hex_escape(out, c); });
}

std::string text_time(std::int64_t ns) {
  std::string iso = format_iso8601(ns);
  if (iso.size() > 27) iso = iso.substr(0, 26) + "Z";  // microseconds are enough for reading
  return iso;
}

std::string text_endpoint(const IpAddress& a, std::uint16_t port, Transport t) {
  if (t == Transport::kUnknown) return a.to_string();
  return a.v6 ? fmt::format("[{}]:{}", a.to_string(), port) : fmt::format("{}:{}", a.to_string(), port);
}

}  // namespace pcapscope

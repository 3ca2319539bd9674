// Literals and value comparisons. A literal means what the other side of the
// comparison needs (Wireshark's rule): `10.0.0.0/8` next to ip.src is a
// network, `0x12` next to tcp.flags an integer, "GET" next to tcp.payload the
// bytes 47 45 54. Names are never resolved: a host name is an error, since a
// forensic tool must not send a DNS query.
#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <ctime>

#include "filter/value.h"

namespace pcapscope::filter {
namespace {

int hex_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_int(std::string_view t, std::int64_t& out) {
  if (t.empty()) return false;
  int base = 10;
  if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) {
    base = 16;
    t.remove_prefix(2);
  } else if (t.size() > 2 && t[0] == '0' && (t[1] == 'b' || t[1] == 'B')) {
    base = 2;
    t.remove_prefix(2);
  } else if (t.size() > 1 && t[0] == '0') {
    base = 8;  // C and Wireshark: a leading zero is octal
    t.remove_prefix(1);
  }
  std::uint64_t u = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), u, base);
  if (r.ec != std::errc() || r.ptr != t.data() + t.size() || u > static_cast<std::uint64_t>(INT64_MAX)) return false;
  out = static_cast<std::int64_t>(u);
  return true;
}

bool parse_float(std::string_view t, double& out) {
  if (t.empty()) return false;
  const std::string s(t);  // strtod needs a terminator; compile time only
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size() && std::isfinite(out);
}

// Hex bytes: "aa:bb:cc", "aa-bb-cc", "aa.bb.cc", "aabbcc" or "aa".
bool parse_hex_bytes(std::string_view t, std::string& out) {
  out.clear();
  std::size_t i = 0;
  char sep = 0;
  while (i < t.size()) {
    if (i + 1 >= t.size() || hex_val(t[i]) < 0 || hex_val(t[i + 1]) < 0) return false;
    out += static_cast<char>(hex_val(t[i]) * 16 + hex_val(t[i + 1]));
    i += 2;
    if (i == t.size()) break;
    const char c = t[i];
    if (c == ':' || c == '-' || c == '.') {
      if (sep && c != sep) return false;
      sep = c;
      ++i;
      if (i == t.size()) return false;
    } else if (sep) {
      return false;
    }
  }
  return !out.empty();
}

bool parse_mac(std::string_view t, Value& v) {
  std::string b;
  // Cisco's dotted form aabb.ccdd.eeff as well as pairs.
  if (t.size() == 14 && t[4] == '.' && t[9] == '.') {
    std::string joined;
    for (char c : t)
      if (c != '.') joined += c;
    if (!parse_hex_bytes(joined, b)) return false;
  } else if (!parse_hex_bytes(t, b)) {
    return false;
  }
  if (b.size() != 6) return false;
  v.type = Type::kMac;
  v.addr_len = 6;
  std::memcpy(v.addr.data(), b.data(), 6);
  return true;
}

bool parse_addr(std::string_view t, Value& v) {
  std::string_view host = t;
  int prefix = -1;
  if (auto slash = t.find('/'); slash != std::string_view::npos) {
    host = t.substr(0, slash);
    const std::string_view p = t.substr(slash + 1);
    int n = 0;
    auto r = std::from_chars(p.data(), p.data() + p.size(), n);
    if (p.empty() || r.ec != std::errc() || r.ptr != p.data() + p.size()) return false;
    prefix = n;
  }
  char buf[64];
  if (host.size() >= sizeof buf) return false;
  std::memcpy(buf, host.data(), host.size());
  buf[host.size()] = '\0';
  v.type = Type::kAddr;
  v.addr = {};
  if (inet_pton(AF_INET, buf, v.addr.data()) == 1) {
    v.addr_len = 4;
  } else if (inet_pton(AF_INET6, buf, v.addr.data()) == 1) {
    v.addr_len = 16;
  } else {
    return false;
  }
  const int width = v.addr_len * 8;
  if (prefix > width) return false;
  v.prefix = static_cast<std::uint8_t>(prefix < 0 ? width : prefix);
  return true;
}

// Days from 1970-01-01 to Y-M-D (proleptic Gregorian), as timegm does, without the TZ dependence.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Cursor {
  std::string_view t;
  std::size_t i = 0;
  bool done() const { return i >= t.size(); }
  bool digits(int min, int max, int& out) {
    int n = 0;
    out = 0;
    while (i < t.size() && n < max && std::isdigit(static_cast<unsigned char>(t[i]))) {
      out = out * 10 + (t[i++] - '0');
      ++n;
    }
    return n >= min;
  }
  bool eat(char c) {
    if (i < t.size() && t[i] == c) {
      ++i;
      return true;
    }
    return false;
  }
  void spaces() {
    while (i < t.size() && t[i] == ' ') ++i;
  }
};

// [HH:MM[:SS[.frac]]] [Z | UTC | GMT | +HH:MM | -HHMM]; returns ns of the day and the zone offset.
bool parse_clock(Cursor& c, std::int64_t& ns, std::int64_t& offset_s) {
  ns = 0;
  offset_s = 0;
  c.spaces();
  if (c.done()) return true;
  int hh = 0, mm = 0, ss = 0;
  if (!c.digits(1, 2, hh) || !c.eat(':') || !c.digits(2, 2, mm)) return false;
  if (c.eat(':')) {
    if (!c.digits(2, 2, ss)) return false;
    if (c.eat('.')) {
      std::int64_t frac = 0;
      int n = 0;
      while (!c.done() && std::isdigit(static_cast<unsigned char>(c.t[c.i]))) {
        if (n < 9) {
          frac = frac * 10 + (c.t[c.i] - '0');
          ++n;
        }
        ++c.i;
      }
      if (n == 0) return false;
      for (; n < 9; ++n) frac *= 10;
      ns = frac;
    }
  }
  if (hh > 23 || mm > 59 || ss > 60) return false;
  ns += (static_cast<std::int64_t>(hh) * 3600 + mm * 60 + ss) * 1'000'000'000;
  c.spaces();
  if (c.done()) return true;
  const std::string_view rest = c.t.substr(c.i);
  if (rest == "Z" || rest == "UTC" || rest == "GMT") return true;
  if (rest[0] == '+' || rest[0] == '-') {
    const int sign = rest[0] == '-' ? -1 : 1;
    ++c.i;
    int oh = 0, om = 0;
    if (!c.digits(2, 2, oh)) return false;
    c.eat(':');
    if (!c.done() && !c.digits(2, 2, om)) return false;
    if (!c.done()) return false;
    offset_s = sign * (oh * 3600 + om * 60);
    return true;
  }
  return false;
}

}  // namespace

std::string_view type_name(Type t) {
  switch (t) {
    case Type::kBool: return "boolean";
    case Type::kInt: return "integer";
    case Type::kFloat: return "number";
    case Type::kTime: return "time";
    case Type::kAddr: return "IP address";
    case Type::kMac: return "MAC address";
    case Type::kBytes: return "byte string";
    case Type::kString: return "string";
  }
  return "?";
}

std::optional<std::int64_t> parse_time_literal(std::string_view text) {
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  double secs = 0;
  if (parse_float(text, secs)) {
    if (std::fabs(secs) > 9.2e9) return std::nullopt;
    return static_cast<std::int64_t>(std::llround(secs * 1e9));
  }
  Cursor c{text};
  int y = 0, mo = 0, d = 0;
  static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (text.size() >= 3 && std::isalpha(static_cast<unsigned char>(text[0]))) {
    // Wireshark's own format: "Jan  1, 2024 10:00:00.123456789 UTC"
    for (int k = 0; k < 12; ++k)
      if (strncasecmp(text.data(), kMonths[k].data(), 3) == 0) mo = k + 1;
    if (mo == 0) return std::nullopt;
    c.i = 3;
    c.spaces();
    if (!c.digits(1, 2, d) || !c.eat(',')) return std::nullopt;
    c.spaces();
    if (!c.digits(4, 4, y)) return std::nullopt;
  } else {
    if (!c.digits(4, 4, y) || !c.eat('-') || !c.digits(1, 2, mo) || !c.eat('-') || !c.digits(1, 2, d)) return std::nullopt;
    c.eat('T');
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  std::int64_t day_ns = 0, offset = 0;
  if (!parse_clock(c, day_ns, offset)) return std::nullopt;
  const std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  const std::int64_t whole = days * 86400 - offset;
  // Nanoseconds since the epoch hold about 1678-2262 (found by tests/fuzz/filter_fuzzer).
  if (whole > 9'200'000'000 || whole < -9'200'000'000) return std::nullopt;
  return whole * 1'000'000'000 + day_ns;
}

std::optional<std::string> parse_literal(std::string_view text, bool quoted, Type t, Value& out, std::string& storage) {
  out = Value{};
  out.type = t;
  auto bad = [&](std::string_view what) { return fmt::format("\"{}\" is not {}", text, what); };
  switch (t) {
    case Type::kBool:
      if (text == "1" || text == "True" || text == "true" || text == "TRUE") {
        out.i = 1;
      } else if (text == "0" || text == "False" || text == "false" || text == "FALSE") {
        out.i = 0;
      } else {
        return bad("a boolean (True, False, 1 or 0)");
      }
      return std::nullopt;
    case Type::kInt:
    case Type::kFloat:
      if (quoted) return bad("a number (numbers are written without quotes)");
      if (t == Type::kInt && parse_int(text, out.i)) return std::nullopt;
      if (parse_float(text, out.d)) {
        out.type = Type::kFloat;
        return std::nullopt;
      }
      return bad("a number");
    case Type::kTime: {
      auto ns = parse_time_literal(text);
      if (!ns) return bad("a time (\"2024-05-01 10:00:00\", ISO 8601, \"May  1, 2024 10:00:00\" or epoch seconds)");
      out.i = *ns;
      return std::nullopt;
    }
    case Type::kAddr:
      if (parse_addr(text, out)) return std::nullopt;
      return bad("an IP address or network (names are not resolved)");
    case Type::kMac:
      if (parse_mac(text, out)) return std::nullopt;
      return bad("a MAC address (00:11:22:33:44:55)");
    case Type::kBytes:
      if (quoted) {
        storage.assign(text);
      } else if (!parse_hex_bytes(text, storage)) {
        // tshark 4.0 also reads one byte from a single hex digit (8) or from 0x
        // and two hex digits (tcp[13] == 0x12); it takes no other number as bytes.
        const bool digit = text.size() == 1 && hex_val(text[0]) >= 0;
        const bool prefixed = text.size() == 4 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X') &&
                              hex_val(text[2]) >= 0 && hex_val(text[3]) >= 0;
        if (!digit && !prefixed) return bad("a byte string (aa:bb:cc, 0x12 or \"text\")");
        storage.assign(1, static_cast<char>(digit ? hex_val(text[0]) : hex_val(text[2]) * 16 + hex_val(text[3])));
      }
      out.s = storage;
      return std::nullopt;
    case Type::kString:
      storage.assign(text);
      out.s = storage;
      return std::nullopt;
  }
  return bad("a value");
}

namespace {
double as_double(const Value& v) {
  switch (v.type) {
    case Type::kFloat: return v.d;
    case Type::kTime: return static_cast<double>(v.i) / 1e9;
    default: return static_cast<double>(v.i);
  }
}
bool numeric(Type t) { return t == Type::kBool || t == Type::kInt || t == Type::kFloat; }
}  // namespace

bool value_equal(const Value& a, const Value& b) {
  if (a.type == Type::kAddr && b.type == Type::kAddr) {
    if (a.addr_len != b.addr_len) return false;
    // A network on either side: the other side is inside it.
    const unsigned bits = std::min(a.prefix, b.prefix);
    const unsigned full = bits / 8;
    if (std::memcmp(a.addr.data(), b.addr.data(), full) != 0) return false;
    if (bits % 8 == 0) return true;
    const auto mask = static_cast<std::uint8_t>(0xff00u >> (bits % 8));
    return (a.addr[full] & mask) == (b.addr[full] & mask);
  }
  return value_order(a, b) == 0;
}

int value_order(const Value& a, const Value& b) {
  if (numeric(a.type) && numeric(b.type)) {
    if (a.type != Type::kFloat && b.type != Type::kFloat) return a.i < b.i ? -1 : a.i > b.i;
    const double x = as_double(a), y = as_double(b);
    return x < y ? -1 : x > y;
  }
  if (a.type == Type::kTime && b.type == Type::kTime) return a.i < b.i ? -1 : a.i > b.i;
  if (a.type == Type::kTime || b.type == Type::kTime) {
    const double x = as_double(a), y = as_double(b);
    return x < y ? -1 : x > y;
  }
  if (a.type == Type::kAddr || a.type == Type::kMac) {
    if (a.addr_len != b.addr_len) return a.addr_len < b.addr_len ? -1 : 1;
    const int c = std::memcmp(a.addr.data(), b.addr.data(), a.addr_len);
    return c < 0 ? -1 : c > 0;
  }
  // Strings and bytes: unsigned bytewise, shorter first on a common prefix.
  const int c = a.s.compare(b.s);
  return c < 0 ? -1 : c > 0;
}

void append_value_text(std::string& out, const Value& v) {
  switch (v.type) {
    case Type::kBool:
    case Type::kInt: fmt::format_to(std::back_inserter(out), "{}", v.i); break;
    case Type::kFloat: fmt::format_to(std::back_inserter(out), "{}", v.d); break;
    case Type::kTime: {
      // Magnitude in unsigned: -INT64_MIN overflows (time arithmetic wraps).
      const std::uint64_t mag = v.i >= 0 ? static_cast<std::uint64_t>(v.i) : 0 - static_cast<std::uint64_t>(v.i);
      const auto s = static_cast<std::int64_t>(mag / 1'000'000'000);
      fmt::format_to(std::back_inserter(out), "{}.{:09}", v.i >= 0 ? s : -s, mag % 1'000'000'000);
      break;
    }
    case Type::kAddr: {
      char buf[INET6_ADDRSTRLEN];
      if (inet_ntop(v.addr_len == 4 ? AF_INET : AF_INET6, v.addr.data(), buf, sizeof buf)) out += buf;
      break;
    }
    case Type::kMac:
      for (int k = 0; k < 6; ++k) fmt::format_to(std::back_inserter(out), "{}{:02x}", k ? ":" : "", v.addr[static_cast<std::size_t>(k)]);
      break;
    case Type::kBytes:
      for (std::size_t k = 0; k < v.s.size(); ++k)
        fmt::format_to(std::back_inserter(out), "{}{:02x}", k ? ":" : "", static_cast<unsigned char>(v.s[k]));
      break;
    case Type::kString: out += v.s; break;
  }
}

}  // namespace pcapscope::filter

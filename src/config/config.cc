#include "config/config.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fmt/format.h>

#include "core/edit_distance.h"
#include "core/printable.h"

namespace pcapscope::config {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Bounds as people write them: 9e9 rather than 9000000000, 0.5 as is.
std::string fmt_bound(double v) {
  const double mag = std::fabs(v);
  if (mag >= 1e7) {
    for (int exp = 18; exp >= 6; --exp) {
      const double m = v / std::pow(10.0, exp);
      if (m == std::floor(m) && std::fabs(m) < 100) return fmt::format("{}e{}", m, exp);
    }
  }
  return fmt::format("{}", v);
}

// The largest duration a kSeconds setting may hold: int64 nanoseconds stop near 9.2e9 s.
constexpr double kMaxSeconds = 9e9;

// "a number greater than 1", "a whole number from 1 to 65535" ...: it
// completes "expected ", so the one-line error reads as a sentence.
std::string derive_expected(const SettingSpec& s) {
  if (!s.expected.empty()) return std::string(s.expected);
  const bool has_min = s.min > -1e299;
  double max = s.max;
  if (s.kind == Kind::kSeconds && max > kMaxSeconds) max = kMaxSeconds;
  const bool has_max = max < 1e299;
  std::string what, suffixes;
  switch (s.kind) {
    case Kind::kNumber: what = "a number"; break;
    case Kind::kCount: what = "a whole number"; break;
    case Kind::kBytes:
      what = "a number of bytes";
      suffixes = " (suffix K, M, G or T allowed)";
      break;
    case Kind::kSeconds:
      what = "a number of seconds";
      suffixes = " (suffix s, m, h or d allowed)";
      break;
    case Kind::kBool: return "true or false";
    case Kind::kText: return "text";
    case Kind::kPath: return "a file path";
    case Kind::kNetworks: return "comma-separated addresses and CIDRs";
    case Kind::kSeverity: return "one of info, low, medium, high, critical";
  }
  if (has_min && has_max && !s.min_exclusive) {
    what += fmt::format(" from {} to {}", fmt_bound(s.min), fmt_bound(max));
  } else if (has_min && has_max) {
    what += fmt::format(" greater than {} and at most {}", fmt_bound(s.min), fmt_bound(max));
  } else if (has_min) {
    what += fmt::format(" {} {}", s.min_exclusive ? "greater than" : "of at least", fmt_bound(s.min));
  } else if (has_max) {
    what += " of at most " + fmt_bound(max);
  }
  return what + suffixes;
}

// A number with an optional one-letter suffix from SUFFIXES (case-insensitive).
bool parse_scaled(std::string_view t, std::initializer_list<std::pair<char, double>> suffixes, double& out,
                  bool* scaled = nullptr) {
  if (t.empty()) return false;
  double scale = 1;
  if (scaled) *scaled = false;
  const char last = static_cast<char>(t.back() | 0x20);
  for (const auto& [c, f] : suffixes) {
    if (last == c) {
      scale = f;
      if (scaled) *scaled = true;
      t.remove_suffix(1);
      break;
    }
  }
  if (t.empty() || t.size() > 64) return false;
  char buf[65];
  t.copy(buf, t.size());
  buf[t.size()] = '\0';
  // strtod accepts "inf", "nan" and hex floats; a setting wants plain decimals.
  for (char c : t) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e' || c == 'E')) return false;
  }
  char* end = nullptr;
  const double v = std::strtod(buf, &end);
  if (end != buf + t.size() || !std::isfinite(v)) return false;
  out = v * scale;
  return std::isfinite(out);
}

constexpr std::string_view kSeverities[] = {"info", "low", "medium", "high", "critical"};

}  // namespace

std::string expected_text(const SettingSpec& spec) { return derive_expected(spec); }

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::kNumber: return "number";
    case Kind::kCount: return "count";
    case Kind::kBytes: return "bytes";
    case Kind::kSeconds: return "seconds";
    case Kind::kBool: return "bool";
    case Kind::kText: return "text";
    case Kind::kPath: return "path";
    case Kind::kNetworks: return "networks";
    case Kind::kSeverity: return "severity";
  }
  return "?";
}

std::string_view source_name(Source s) {
  switch (s) {
    case Source::kDefault: return "default";
    case Source::kFile: return "file";
    case Source::kEnvironment: return "environment";
    case Source::kFlag: return "flag";
  }
  return "?";
}

std::string env_name(std::string_view setting) {
  std::string e = "PCAPSCOPE_";
  for (char c : setting) e += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return e;
}

Result<Value> parse_value(const SettingSpec& spec, std::string_view raw) {
  Value v;
  const std::string_view t = trim(raw);
  v.text = std::string(t);
  const Error bad{"expected " + expected_text(spec)};
  auto in_bounds = [&](double x) {
    if (spec.min_exclusive ? !(x > spec.min) : !(x >= spec.min)) return false;
    return x <= spec.max;
  };
  switch (spec.kind) {
    case Kind::kNumber: {
      if (!parse_scaled(t, {}, v.number) || !in_bounds(v.number)) return bad;
      return v;
    }
    case Kind::kCount:
    case Kind::kBytes: {
      double x = 0;
      bool scaled = false;
      const bool ok = spec.kind == Kind::kCount
                          ? parse_scaled(t, {}, x)
                          : parse_scaled(t, {{'k', 1024.0}, {'m', 1048576.0}, {'g', 1073741824.0}, {'t', 1099511627776.0}}, x, &scaled);
      // "1.5K" is 1536 bytes and "0.3M" some bytes more or less: a suffix rounds down; a bare count is exact.
      if (ok && scaled) x = std::floor(x);
      if (!ok || x < 0 || x > 1.8e19 || x != std::floor(x) || !in_bounds(x)) return bad;
      v.number = x;
      v.count = static_cast<std::uint64_t>(x);
      return v;
    }
    case Kind::kSeconds: {
      if (!parse_scaled(t, {{'s', 1.0}, {'m', 60.0}, {'h', 3600.0}, {'d', 86400.0}}, v.number) ||
          !in_bounds(v.number) || v.number > kMaxSeconds) {
        return bad;
      }
      return v;
    }
    case Kind::kBool: {
      const std::string l = lower(t);
      if (l == "true" || l == "yes" || l == "on" || l == "1") {
        v.flag = true;
      } else if (l == "false" || l == "no" || l == "off" || l == "0") {
        v.flag = false;
      } else {
        return bad;
      }
      return v;
    }
    case Kind::kText:
    case Kind::kPath: return v;
    case Kind::kNetworks: {
      auto set = NetworkSet::parse(t);
      if (!set) return Error{"expected " + expected_text(spec) + ": " + set.error().message};
      v.networks = std::move(set.value());
      return v;
    }
    case Kind::kSeverity: {
      const std::string l = lower(t);
      for (std::size_t i = 0; i < std::size(kSeverities); ++i) {
        if (l == kSeverities[i]) {
          v.severity = static_cast<std::uint8_t>(i);
          v.text = l;
          return v;
        }
      }
      return bad;
    }
  }
  return bad;
}

Config Config::defaults(std::vector<const SettingSpec*> specs) {
  Config c;
  c.specs_ = std::move(specs);
  for (const SettingSpec* s : c.specs_) {
    auto v = parse_value(*s, s->default_value);
    if (!v) {
      // A default that does not parse is a bug in a table, caught by the first test that loads it.
      std::fprintf(stderr, "pcapscope: internal error: default of setting %.*s: %s\n",
                   static_cast<int>(s->name.size()), s->name.data(), v.error().message.c_str());
      std::abort();
    }
    c.values_.push_back(std::move(v.value()));
  }
  return c;
}

Result<Config> Config::load_unchecked(std::vector<const SettingSpec*> specs, const std::string& config_file,
                            const std::map<std::string, Flag, std::less<>>& flags) {
  Config c = defaults(std::move(specs));
  std::string file = config_file;
  if (file.empty()) {
    if (const char* e = std::getenv("PCAPSCOPE_CONFIG")) file = e;
  }
  if (!file.empty()) {
    auto entries = detail::read_config_file(file);
    if (!entries) return entries.error();  // already "FILE: why" or "FILE:LINE: why"
    std::vector<std::uint32_t> line_of(c.specs_.size(), 0);
    for (const detail::FileEntry& e : entries.value()) {
      const std::size_t i = c.index_or_npos(e.key);
      if (i == npos) return Error{fmt::format("{}:{}: {}", file, e.line, c.unknown(e.key))};
      // "[tcp] timeout" and "tcp_timeout" are the same setting: the file must not say it twice.
      if (line_of[i] != 0) {
        return Error{fmt::format("{}:{}: {} is set twice (also on line {})", file, e.line, e.key, line_of[i])};
      }
      line_of[i] = e.line;
      auto r = c.set(e.key, e.text, Source::kFile, fmt::format("{}:{}", file, e.line));
      if (!r) return Error{fmt::format("{}:{}: {}", file, e.line, r.error().message)};
    }
    c.file_ = file;
  }
  for (std::size_t i = 0; i < c.specs_.size(); ++i) {
    const std::string env = env_name(c.specs_[i]->name);
    if (const char* e = std::getenv(env.c_str())) {
      auto r = c.set(c.specs_[i]->name, e, Source::kEnvironment, env);
      if (!r) return r.error();
    }
  }
  for (const auto& [name, flag] : flags) {
    if (c.index_or_npos(name) == npos) return Error{fmt::format("{}: {}", flag.origin, c.unknown(name))};
    auto r = c.set(name, flag.text, Source::kFlag, flag.origin);
    if (!r) return r.error();
  }
  return c;
}

Result<Config> Config::load(std::vector<const SettingSpec*> specs, const std::string& config_file,
                            const std::map<std::string, Flag, std::less<>>& flags) {
  // Messages quote file names, keys and values as given: one line whatever they hold.
  auto c = load_unchecked(std::move(specs), config_file, flags);
  if (!c) return Error{printable(c.error().message)};
  return c;
}

std::string Config::unknown(std::string_view name) const {
  std::vector<std::string_view> names;
  for (const SettingSpec* s : specs_) names.push_back(s->name);
  std::string msg = fmt::format("unknown setting \"{}\"", name);
  if (auto m = closest_match(name, names)) msg += fmt::format(" (did you mean {}?)", *m);
  return msg + " (`pcapscope config` lists them)";
}

Result<void> Config::set(std::string_view name, std::string_view text, Source source, std::string_view origin) {
  const std::size_t i = index(name);
  auto v = parse_value(*specs_[i], text);
  std::string where(origin);
  if (where.empty()) where = source == Source::kEnvironment ? env_name(name) : std::string(name);
  if (!v) {
    // Environment and flags read as the user typed them: NAME=VALUE; a file's key likewise.
    const std::string who = source == Source::kFile ? std::string(name) : where;
    return Error{printable(fmt::format("{}={}: {}", who, text, v.error().message))};
  }
  v->source = source;
  v->origin = std::move(where);
  values_[i] = std::move(v.value());
  return {};
}

std::size_t Config::index_or_npos(std::string_view name) const {
  for (std::size_t i = 0; i < specs_.size(); ++i) {
    if (specs_[i]->name == name) return i;
  }
  return npos;
}

std::size_t Config::index(std::string_view name) const {
  const std::size_t i = index_or_npos(name);
  if (i == npos) {
    std::fprintf(stderr, "pcapscope: internal error: no setting named %.*s\n", static_cast<int>(name.size()),
                 name.data());
    std::abort();
  }
  return i;
}

const Value& Config::value(std::string_view name) const { return values_[index(name)]; }
double Config::number(std::string_view name) const { return value(name).number; }
std::uint64_t Config::count(std::string_view name) const { return value(name).count; }
std::int64_t Config::nanoseconds(std::string_view name) const {
  return static_cast<std::int64_t>(std::llround(value(name).number * 1e9));
}
bool Config::flag(std::string_view name) const { return value(name).flag; }
const std::string& Config::text(std::string_view name) const { return value(name).text; }
const NetworkSet& Config::networks(std::string_view name) const { return value(name).networks; }
std::uint8_t Config::severity(std::string_view name) const { return value(name).severity; }

std::vector<Config::Entry> Config::entries() const {
  std::vector<Entry> out;
  for (std::size_t i = 0; i < specs_.size(); ++i) out.push_back({specs_[i], &values_[i]});
  return out;
}

}  // namespace pcapscope::config

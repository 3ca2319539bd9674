// Settings: one typed table, four sources.
//
// Every tunable of pcapscope (session timeouts, detector thresholds, paths)
// is a SettingSpec: a name, a kind, a default and what a valid value looks
// like. A Config resolves each setting once, at start-up, from
//   command-line flag > PCAPSCOPE_<NAME> environment > config file (TOML) > default
// and remembers where each value came from, so `pcapscope config` can show
// it and an invalid value can be reported with the exact source a user has
// to fix ("pcapscope: PCAPSCOPE_EXFIL_RATIO=abc: expected a number greater
// than 1"). Nothing reads the environment after that: a run's behaviour is
// the Config it started with, which tests can build without touching the
// process environment.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/cidr.h"
#include "pcapscope/result.h"

namespace pcapscope::config {

enum class Kind : std::uint8_t {
  kNumber,    // a real number within [min, max] (min/max exclusive when the flags say so)
  kCount,     // a whole number within [min, max]
  kBytes,     // a byte count, optional suffix K, M, G, T (powers of 1024)
  kSeconds,   // a duration in seconds, optional suffix s, m, h, d
  kBool,      // true/false, yes/no, on/off, 1/0
  kText,      // any text (empty allowed)
  kPath,      // a file path (empty: unset)
  kNetworks,  // comma-separated addresses and CIDRs ("10.0.0.0/8, 2001:db8::/32, 192.0.2.7")
  kSeverity,  // info, low, medium, high, critical
};

struct SettingSpec {
  std::string_view name;      // "exfil_ratio": TOML key; environment PCAPSCOPE_EXFIL_RATIO
  Kind kind;
  std::string_view default_value;  // parsed like any other source's text
  std::string_view help;           // one line, for `pcapscope config` and docs
  std::string_view expected;       // what a valid value is, completing "expected ...";
                                   // empty: derived from kind and bounds
  double min = -1e300, max = 1e300;
  bool min_exclusive = false;
};

// "number", "count", "bytes", "seconds", "bool", "text", "path", "networks", "severity".
std::string_view kind_name(Kind k);

enum class Source : std::uint8_t { kDefault, kFile, kEnvironment, kFlag };
std::string_view source_name(Source s);  // "default", "file", "environment", "flag"

// "PCAPSCOPE_EXFIL_RATIO" for "exfil_ratio".
std::string env_name(std::string_view setting);

// A resolved value. Which member means something depends on the kind.
struct Value {
  std::string text;           // as given (after trimming)
  double number = 0;          // kNumber; kSeconds (seconds); kCount/kBytes as well
  std::uint64_t count = 0;    // kCount, kBytes
  bool flag = false;          // kBool
  NetworkSet networks;        // kNetworks
  std::uint8_t severity = 0;  // kSeverity: 0 info .. 4 critical
  Source source = Source::kDefault;
  std::string origin;         // where: "PCAPSCOPE_EXFIL_RATIO", "/etc/x.toml:3", "--exfil-ratio"; empty: default
};

// Parses TEXT as a value of SPEC. The error is "expected ..." (no name: the caller knows the source).
Result<Value> parse_value(const SettingSpec& spec, std::string_view text);

// What a valid value of SPEC is, completing "expected ": SPEC.expected, or derived from kind and bounds
// ("a number of seconds greater than 0 and at most 9e9 (suffix s, m, h or d allowed)").
std::string expected_text(const SettingSpec& spec);

class Config {
 public:
  // Every setting at its default. SPECS must outlive the Config (static tables).
  static Config defaults(std::vector<const SettingSpec*> specs);

  // Resolves SPECS from the sources, lowest precedence first: defaults, the
  // TOML file CONFIG_FILE (empty: PCAPSCOPE_CONFIG, and none when that is
  // unset too), the process environment, then FLAGS (setting name -> text,
  // with the flag's spelling as ORIGIN). The error names the source and the
  // value: "PCAPSCOPE_EXFIL_RATIO=abc: expected a number greater than 1",
  // "--exfil-ratio=abc: ...", "/etc/p.toml:3: exfil_ratio=abc: ...",
  // "/etc/p.toml:7: unknown setting "exfil_ration" (did you mean exfil_ratio?) ...".
  // A file value's origin is "FILE:LINE".
  struct Flag {
    std::string text;
    std::string origin;  // "--exfil-ratio"
  };
  static Result<Config> load(std::vector<const SettingSpec*> specs, const std::string& config_file,
                             const std::map<std::string, Flag, std::less<>>& flags = {});

  // Sets NAME from TEXT as if given by SOURCE (tests; --flag wiring). Error as load()'s.
  Result<void> set(std::string_view name, std::string_view text, Source source = Source::kFlag,
                   std::string_view origin = {});

  // Typed access. Asking for a name that is not a setting is a programming
  // error: it aborts with the name, so a typo in a detector fails its tests.
  double number(std::string_view name) const;
  std::uint64_t count(std::string_view name) const;
  std::int64_t nanoseconds(std::string_view name) const;  // kSeconds
  bool flag(std::string_view name) const;
  const std::string& text(std::string_view name) const;
  const NetworkSet& networks(std::string_view name) const;
  std::uint8_t severity(std::string_view name) const;
  const Value& value(std::string_view name) const;

  struct Entry {
    const SettingSpec* spec;
    const Value* value;
  };
  std::vector<Entry> entries() const;  // in table order
  const std::string& file() const { return file_; }  // the config file read, or empty

 private:
  static Result<Config> load_unchecked(std::vector<const SettingSpec*> specs, const std::string& config_file,
                                       const std::map<std::string, Flag, std::less<>>& flags);
  std::vector<const SettingSpec*> specs_;
  std::vector<Value> values_;
  std::string file_;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);
  std::size_t index(std::string_view name) const;          // aborts on an unknown name
  std::size_t index_or_npos(std::string_view name) const;
  std::string unknown(std::string_view name) const;  // "unknown setting "x" (did you mean y?) ..."
};

}  // namespace pcapscope::config

namespace pcapscope::config::detail {
// Reads a TOML config file into (key, value text, line) triples: flat keys
// or keys in tables, whose dotted path is joined with '_' ("[exfil] ratio"
// is "exfil_ratio"). Values of any TOML scalar type become their text;
// arrays of scalars become comma-separated text (for kNetworks).
struct FileEntry {
  std::string key;
  std::string text;
  std::uint32_t line = 0;
};
// Errors carry the path, and the line when there is one: "FILE:LINE: why".
Result<std::vector<FileEntry>> read_config_file(const std::string& path);
}  // namespace pcapscope::config::detail

// The session stage's settings, read from a Config: the one place that maps
// setting names to SessionOptions fields.
//
// session_options_from_env (the public API in pcapscope/session.h) is a thin
// wrapper over the same table and parser, so a library user's
// PCAPSCOPE_TCP_TIMEOUT reads and fails exactly as the command line's does.
// It reads the environment only, not PCAPSCOPE_CONFIG: a library call should
// not open files its caller did not name.
#include <cstdlib>

#include "config/settings.h"

namespace pcapscope::config {

namespace {

struct SessionField {
  std::string_view name;
  std::int64_t SessionOptions::*ns = nullptr;     // a timeout
  std::size_t SessionOptions::*size = nullptr;    // a count or byte cap
};

constexpr SessionField kFields[] = {
    {"tcp_timeout", &SessionOptions::tcp_timeout_ns, nullptr},
    {"udp_timeout", &SessionOptions::udp_timeout_ns, nullptr},
    {"icmp_timeout", &SessionOptions::icmp_timeout_ns, nullptr},
    {"tcp_close_timeout", &SessionOptions::tcp_close_timeout_ns, nullptr},
    {"max_sessions", nullptr, &SessionOptions::max_sessions},
    {"reassembly_memory", nullptr, &SessionOptions::reassembly_memory},
    {"reassembly_per_stream", nullptr, &SessionOptions::reassembly_per_stream},
    {"fragment_memory", nullptr, &SessionOptions::fragment_memory},
};

void apply(const Config& config, const SessionField& f, SessionOptions& o) {
  if (f.ns) {
    o.*f.ns = config.nanoseconds(f.name);
  } else {
    o.*f.size = static_cast<std::size_t>(config.count(f.name));
  }
}

}  // namespace

SessionOptions session_options(const Config& config) {
  SessionOptions o;
  for (const SessionField& f : kFields) apply(config, f, o);
  return o;
}

}  // namespace pcapscope::config

namespace pcapscope {

Result<SessionOptions> session_options_from_env(SessionOptions base) {
  std::vector<const config::SettingSpec*> specs;
  for (const config::SettingSpec& s : config::core_settings()) {
    for (const config::SessionField& f : config::kFields) {
      if (f.name == s.name) specs.push_back(&s);
    }
  }
  config::Config c = config::Config::defaults(std::move(specs));
  for (const config::SessionField& f : config::kFields) {
    const char* text = std::getenv(config::env_name(f.name).c_str());
    if (!text) continue;  // BASE's value stands
    auto r = c.set(f.name, text, config::Source::kEnvironment);
    if (!r) return r.error();
    config::apply(c, f, base);
  }
  return base;
}

}  // namespace pcapscope

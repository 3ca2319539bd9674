// Session-stage settings shared by the commands that build sessions:
// command-line flag > PCAPSCOPE_* environment > default.
#pragma once

#include <optional>

#include "pcapscope/session.h"

namespace CLI {
class App;
}

namespace pcapscope::cli {

struct SessionFlags {
  std::optional<double> tcp_timeout, udp_timeout, icmp_timeout;  // seconds
  std::optional<std::size_t> max_sessions;
};

void add_session_flags(CLI::App& cmd, SessionFlags& flags);
// Environment first, then the flags over it; dies with a one-line error on a bad value.
SessionOptions resolve_session_options(const SessionFlags& flags);

}  // namespace pcapscope::cli

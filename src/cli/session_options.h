// Session-stage settings shared by the commands that build sessions:
// command-line flag > PCAPSCOPE_* environment > default.
#pragma once

#include <optional>
#include <string>

#include "output/session_writer.h"
#include "pcapscope/capture.h"
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

// --format of the record commands (sessions, dns, http, tls, ssh): "text", "json"/"jsonl", "csv", "zeek".
RecordFormat parse_record_format(const std::string& format);

// Decodes every packet of TL into TABLE, starting with PKT when HAVE_FIRST (the
// caller read it already, for Zeek's #open time), then ends every session.
void feed_sessions(Timeline& tl, Packet& pkt, bool have_first, SessionTable& table);

}  // namespace pcapscope::cli

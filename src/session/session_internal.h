// What the session engine keeps per live session, and its small helpers.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <memory>

#include "pcapscope/session.h"
#include "session/flow_key.h"
#include "session/history.h"
#include "session/reassembly.h"
#include "session/tcp_state.h"

namespace pcapscope::session {

inline constexpr std::int64_t kNeverSeen = std::numeric_limits<std::int64_t>::min();

// Both directions' stream reassemblers, allocated only once a TCP session
// carries payload: SYN-only flows (floods, scans) cost none of it.
struct TcpStreams {
  explicit TcpStreams(const ReassemblyConfig& config) : dir{TcpStream(config), TcpStream(config)} {}
  TcpStream dir[2];  // [0] originator's bytes, [1] responder's
};

struct Session {
  FlowKey key;
  std::uint64_t hash = 0;
  std::int64_t last_seen = kNeverSeen;  // idle clock (never moves back)
  std::uint32_t prev = UINT32_MAX, next = UINT32_MAX;  // activity list of its protocol class
  Transport transport = Transport::kUnknown;
  bool orig_is_a = true;                // the originator is the key's side A
  bool closed = false;                  // TCP over (both FINs or a RST): on the close-delay list
  std::uint64_t orig_payload = 0, resp_payload = 0;  // UDP/ICMP payload bytes
  History history;
  TcpConnection tcp;
  std::unique_ptr<TcpStreams> streams;
  SessionRecord record;                 // the live conn record (counters so far)
};

// Zeek's likely_server_ports: ports its analyzers register, used to guess
// which side is the server when the first packet seen does not say.
bool likely_server_port(std::uint16_t port, Transport t);

// Deterministic uid: "C" + 17 base62 characters from 96 bits of a hash of the
// flow key, the first packet's time and its frame number. The same input
// gives the same uids on every run, whatever the thread count (frame numbers
// are assigned by the reader, not by workers).
void make_uid(const FlowKey& key, std::int64_t ts_ns, std::uint64_t frame, std::array<char, 20>& out);

}  // namespace pcapscope::session

// What the per-stage benchmarks share: the bench capture held in memory, the
// compressed / pcapng copies of its first packets, synthetic packets, and
// application messages harvested from the shared corpus.
//
// Everything here is built once per process on first use (function-local
// statics), outside the timed loops, so each benchmark measures its stage and
// not I/O or set-up. A benchmark that needs something unavailable calls
// State::SkipWithError with a message saying what to set.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "pcapscope/capture.h"
#include "pcapscope/decode.h"

namespace pcapscope::bench {

// Items and bytes per iteration, times the iterations run: the two rates
// every benchmark reports (items_per_second, bytes_per_second).
void set_rates(benchmark::State& state, std::uint64_t items_per_iteration, std::uint64_t bytes_per_iteration);

// PCAPSCOPE_BENCH_PCAP, or "" when unset.
std::string capture_path();
inline constexpr const char* kNoCapture = "set PCAPSCOPE_BENCH_PCAP to a capture (bench/run.sh does)";

// Packets whose bytes live in one contiguous buffer owned by the set (as a
// reader's block buffer would hold them), so the timed loops read memory only.
struct PacketSet {
  std::vector<std::uint8_t> storage;
  std::vector<Packet> packets;
  std::vector<Interface> interfaces;  // of the file they came from (for writing them back)
  std::uint64_t bytes = 0;            // captured bytes of all packets
};

// Copies FRAMES into a set of Ethernet packets 1 µs apart.
PacketSet make_packet_set(const std::vector<std::vector<std::uint8_t>>& frames);

// How many packets of the capture the in-memory benchmarks use:
// PCAPSCOPE_BENCH_PACKETS, default 200,000.
std::size_t capture_packet_limit();

// The first capture_packet_limit() packets of the capture, read once; null
// after SkipWithError on STATE when the capture is unset or unreadable.
const PacketSet* capture_packets(benchmark::State& state);
// The same packets decoded once (DecodedPacket::packet points into the set).
const std::vector<DecodedPacket>* capture_decoded(benchmark::State& state);

// The in-memory packets written once to a temporary directory in every input
// form the reader takes, for comparing formats over identical packets.
struct SliceFiles {
  std::string pcap, pcapng, gzip, zstd;
  std::string even, odd;  // the packets split alternately into two pcaps (Timeline merge)
  std::uint64_t packets = 0, bytes = 0;
};
const SliceFiles* slice_files(benchmark::State& state);

// The shared corpus (../shared next to the checkout; PCAPSCOPE_SHARED overrides).
std::string shared_dir();

// One TCP session's reassembled bytes as the protocol stage received them:
// each direction's stream (its first kMaxStreamBytes, cut at a gap) and the
// order and sizes in which the two directions' chunks arrived.
struct StreamSession {
  static constexpr std::size_t kMaxStreamBytes = 64 * 1024;
  struct Chunk {
    bool orig = false;
    std::uint32_t offset = 0;  // in that direction's stream
    std::uint32_t length = 0;
  };
  std::vector<std::uint8_t> orig, resp;
  std::vector<Chunk> chunks;
  std::uint64_t bytes() const { return orig.size() + resp.size(); }
};

// A session of whole application messages (FROM_ORIG, bytes) in order, each
// direction's stream cut into chunks of at most MSS bytes as segments would.
StreamSession make_stream_session(const std::vector<std::pair<bool, std::string>>& messages, std::size_t mss = 1448);

// Hands SESSION's chunks to FEED(orig, offset, bytes) in the order they arrived.
template <typename Feed>
void replay(const StreamSession& session, Feed&& feed) {
  for (const StreamSession::Chunk& c : session.chunks) {
    const std::vector<std::uint8_t>& s = c.orig ? session.orig : session.resp;
    feed(c.orig, std::uint64_t{c.offset}, Bytes(s.data() + c.offset, c.length));
  }
}

std::uint64_t total_bytes(const std::vector<StreamSession>& sessions);

struct Datagram {
  bool from_client = false;
  std::vector<std::uint8_t> bytes;
};

// Application data cut from the Ethernet pcaps of the shared corpus (MANIFEST.tsv),
// found by running each file through the session stage and classifying
// sessions by content as the protocol stage does.
struct ProtoCorpus {
  std::vector<std::vector<std::uint8_t>> dns;  // UDP payloads to or from port 53
  std::vector<StreamSession> http, tls, ssh;
  std::vector<std::vector<Datagram>> quic;     // datagrams of sessions opened by a QUIC Initial
  std::size_t files = 0;
};
const ProtoCorpus* proto_corpus(benchmark::State& state);

}  // namespace pcapscope::bench

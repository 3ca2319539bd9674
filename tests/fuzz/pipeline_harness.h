// Fuzz harnesses for the stages before the protocol parsers
// (tests/fuzz/pipeline_harness.cc). Each traps (__builtin_trap) on a broken
// invariant, so libFuzzer reports it as a crash.
//
// capture   the input is a capture file, opened by path through the real
//           open/sniff/decompress path (a memfd): pcap, pcapng, gzip or zstd
//           of either. Every packet is decoded. Invariants: errors and damage
//           reasons are one line; every layer and the payload lie inside the
//           packet; origlen < caplen is flagged; the summary's counts agree
//           with what was read.
// decode    be16 link type, then one frame. Decoded, summarized and every
//           field of every layer formatted (the detail view's work), whole
//           and cut at three snaplens into exact-size copies.
// sessions  be16 link type, a caps byte (bit 0: max_sessions 1..16, bit 1:
//           a small reassembly budget, bit 2: a small fragment budget, bit 3:
//           no sharded comparison, bits 4-7 their size), then records [be16 length][time step][frame]:
//           steps 0-249 are milliseconds, 250 +61 s, 251 +301 s, 252 -1 s,
//           253 +1 year, 254 -1 year, 255 +5 s. Runs decode, SessionTable,
//           ProtocolStage and every detector. Invariants: each session ends
//           exactly once, numbered 0..n-1, none live after finish, alerts one
//           line; and, where no cap binds, the sharded stage with two workers
//           gives the very same events in the same order.
// config    the input is a config file (TOML), loaded with every setting.
//           Invariants: errors are one line; every setting is present and its
//           value parses back from its text.
#pragma once

#include <cstddef>
#include <cstdint>

namespace pcapscope::fuzz {

void fuzz_capture(const std::uint8_t* data, std::size_t size);
void fuzz_decode(const std::uint8_t* data, std::size_t size);
void fuzz_sessions(const std::uint8_t* data, std::size_t size);
void fuzz_config(const std::uint8_t* data, std::size_t size);

}  // namespace pcapscope::fuzz

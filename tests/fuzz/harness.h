// Fuzz harnesses for the protocol parsers (src/proto/{dns,http,tls,ssh}).
//
// Each function drives one parser family the way the session stage will:
// whole messages, streams cut into chunks whose sizes come from the input,
// retransmitted overlaps, an occasional gap, both directions of a
// conversation. It then checks invariants (counts parsed <= counts claimed,
// names <= 255 wire bytes, the same results whatever the segmentation ...) and
// calls __builtin_trap() when one fails, so libFuzzer reports it as a crash.
//
// Input layout (all targets):
//   byte 0     chunking: bits 0-1 mode (0 whole, 1 one byte, 2 sizes 1..16,
//              3 sizes 1..2048), bits 2-7 seed for the chunk-size generator
//   byte 1     flags: bit 0 a gap, bits 1-3 which chunk is lost, bit 4 the gap
//              is announced by on_gap (else by an offset jump), bit 5 every
//              chunk re-sends up to 7 bytes of the previous one (retransmission)
//   then       DNS: the bytes (one message for parse_message, and a TCP stream
//              for TcpDnsFramer)
//              HTTP, TLS, SSH: be16 length of the client-to-server part, the
//              client part, the server-to-client part (the rest)
// Shorter inputs are taken as all payload with control bytes 0.
//
// The same functions replay tests/fuzz/regressions/* in the unit tests
// (tests/unit/fuzz_regressions_test.cc).
#pragma once

#include <cstddef>
#include <cstdint>

namespace pcapscope::fuzz {

void fuzz_dns(const std::uint8_t* data, std::size_t size);
void fuzz_http(const std::uint8_t* data, std::size_t size);
void fuzz_tls(const std::uint8_t* data, std::size_t size);
void fuzz_ssh(const std::uint8_t* data, std::size_t size);
// The input is a filter expression (tests/fuzz/filter_harness.cc): compiled
// for every subject, evaluated on fixed packets and records when it compiles.
void fuzz_filter(const std::uint8_t* data, std::size_t size);

}  // namespace pcapscope::fuzz

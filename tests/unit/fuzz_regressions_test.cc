// Replays every kept fuzzer finding (tests/fuzz/regressions/<target>/*)
// through the fuzz harness (tests/fuzz/harness.cc: the parsers fed whole and
// in chunks, with invariants that trap), plus hand-made hostile inputs whose
// outcome is asserted here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "fuzz/harness.h"
#include "fuzz/pipeline_harness.h"
#include "pcapscope/filter.h"
#include "pcapscope/session.h"
#include "proto/dns/dns_message.h"
#include "proto/http/http_parser.h"
#include "proto/ssh/ssh_parser.h"
#include "proto/tls/tls_hello.h"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;
using Harness = void (*)(const std::uint8_t*, std::size_t);

struct Target {
  const char* name;
  Harness run;
};
constexpr Target kTargets[] = {{"dns", pcapscope::fuzz::fuzz_dns},
                               {"http", pcapscope::fuzz::fuzz_http},
                               {"tls", pcapscope::fuzz::fuzz_tls},
                               {"ssh", pcapscope::fuzz::fuzz_ssh},
                               {"filter", pcapscope::fuzz::fuzz_filter},
                               {"capture", pcapscope::fuzz::fuzz_capture},
                               {"decode", pcapscope::fuzz::fuzz_decode},
                               {"sessions", pcapscope::fuzz::fuzz_sessions},
                               {"config", pcapscope::fuzz::fuzz_config}};

Bytes bytes_of(std::string_view s) { return Bytes(s.begin(), s.end()); }

// Runs PAYLOAD through HARNESS under several control bytes (see harness.h):
// whole, one byte at a time, small chunks with retransmissions, and a gap.
void run_all_modes(Harness harness, const Bytes& payload) {
  for (std::uint8_t mode : {0x00, 0x01, 0x06, 0x0b}) {
    for (std::uint8_t flags : {0x00, 0x20, 0x13, 0x03}) {
      Bytes in{mode, flags};
      in.insert(in.end(), payload.begin(), payload.end());
      harness(in.data(), in.size());
    }
  }
}

// be16 client length, client, server (the two-direction harness layout).
Bytes two_directions(const Bytes& client, const Bytes& server) {
  Bytes b{static_cast<std::uint8_t>(client.size() >> 8), static_cast<std::uint8_t>(client.size())};
  b.insert(b.end(), client.begin(), client.end());
  b.insert(b.end(), server.begin(), server.end());
  return b;
}

TEST(FuzzRegressions, ReplayKeptInputs) {
  const fs::path root = PCAPSCOPE_FUZZ_REGRESSIONS_DIR;
  std::size_t replayed = 0;
  for (const Target& t : kTargets) {
    const fs::path dir = root / t.name;
    if (!fs::is_directory(dir)) continue;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      std::ifstream f(e.path(), std::ios::binary);
      const Bytes data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      SCOPED_TRACE(e.path().string());
      t.run(data.data(), data.size());  // traps on a violated invariant
      ++replayed;
    }
  }
  // The folder is kept with at least the findings of the first fuzzing runs.
  EXPECT_GT(replayed, 0u) << "no inputs under " << root;
}

TEST(FuzzRegressions, FilterTimeBeyondNanosecondRange) {
  // Year 2923 overflowed int64 nanoseconds (UBSan in filter_fuzzer): now not a time.
  for (std::string_view e : {"ts >= \"2923-11-14 22:13:20\"", "ts < \"1000-01-01\"", "ts > \"Jan  1, 9999 00:00:00\""}) {
    auto r = pcapscope::filter::Filter::compile(e, pcapscope::filter::Subject::kConn);
    ASSERT_TRUE(std::holds_alternative<pcapscope::filter::CompileError>(r)) << e;
    EXPECT_NE(std::get<pcapscope::filter::CompileError>(r).message.find("is not a time"), std::string::npos) << e;
  }
  EXPECT_TRUE(std::holds_alternative<pcapscope::filter::Filter>(
      pcapscope::filter::Filter::compile("ts < \"2200-01-01\"", pcapscope::filter::Subject::kConn)));
  // Shifting a time by more seconds than int64 ns hold overflowed too: now no value, so no match.
  pcapscope::SessionRecord r;
  r.ts_ns = 1'700'000'000'000'000'000;
  for (std::string_view e : {"ts - 77777777777770 < ts", "ts + 1e300 > ts", "ts - 9.3e9 < ts"}) {
    auto f = pcapscope::filter::Filter::compile(e, pcapscope::filter::Subject::kConn);
    ASSERT_TRUE(std::holds_alternative<pcapscope::filter::Filter>(f)) << e;
    EXPECT_FALSE(std::get<pcapscope::filter::Filter>(f).matches(r)) << e;
  }
}

TEST(FuzzRegressions, DnsCompressionLoop) {
  // One question whose name is a pointer to itself, then one whose pointer
  // targets a later pointer back to the first (forward pointers are refused).
  for (Bytes msg : {Bytes{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1},
                    Bytes{0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0e, 0xc0, 0x0c, 0, 1, 0, 1}}) {
    pcapscope::proto::dns::DnsMessage m;
    const auto st = pcapscope::proto::dns::parse_message(msg, m);
    EXPECT_FALSE(st.ok());
    EXPECT_TRUE(m.has_problem("dns_name_loop") || m.has_problem("dns_bad_pointer"));
    run_all_modes(pcapscope::fuzz::fuzz_dns, msg);
  }
  // A chain of 200 backward pointers (more than kMaxPointerJumps): stops, named.
  // Answer 1 is "a" with unknown-type rdata holding the chain (each pointer
  // to the one before, the first to "a"); answer 2's name points at the last.
  Bytes msg{0, 1, 1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 'a', 0, 0, 99, 0, 1, 0, 0, 0, 0, 400 >> 8, 400 & 0xff};
  for (int i = 0; i < 200; ++i) {
    const std::size_t prev = i == 0 ? 12 : msg.size() - 2;
    msg.push_back(static_cast<std::uint8_t>(0xc0 | (prev >> 8)));
    msg.push_back(static_cast<std::uint8_t>(prev));
  }
  const std::size_t last = msg.size() - 2;
  for (int b : {0xc0 | static_cast<int>(last >> 8), static_cast<int>(last & 0xff), 0, 1, 0, 1, 0, 0, 0, 0, 0, 0})
    msg.push_back(static_cast<std::uint8_t>(b));
  pcapscope::proto::dns::DnsMessage m;
  EXPECT_FALSE(pcapscope::proto::dns::parse_message(msg, m).ok());
  EXPECT_TRUE(m.has_problem("dns_name_loop"));
  run_all_modes(pcapscope::fuzz::fuzz_dns, msg);
}

TEST(FuzzRegressions, HttpHugeChunkSize) {
  const Bytes request = bytes_of("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  // 16 hex digits: refused. 15: accepted and only counted down (no allocation).
  for (std::string_view size : {"ffffffffffffffff", "fffffffffffffff"}) {
    const Bytes response = bytes_of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + std::string(size) +
                                    "\r\nabc\r\n0\r\n\r\n");
    std::vector<std::string> problems;
    std::uint64_t body = 0;
    pcapscope::proto::http::HttpParser p(
        true, nullptr, [&](const pcapscope::proto::http::Message& m) { body = m.body_len; },
        [&](std::string_view n) { problems.emplace_back(n); });
    p.on_data(0, response);
    p.on_close();
    const bool refused = std::find(problems.begin(), problems.end(), "http_bad_chunk_size") != problems.end();
    EXPECT_EQ(refused, size.size() == 16);
    EXPECT_LE(body, response.size());
    run_all_modes(pcapscope::fuzz::fuzz_http, two_directions(request, response));
  }
}

TEST(FuzzRegressions, TlsRecordLength0xffff) {
  const Bytes record{0x16, 0x03, 0x01, 0xff, 0xff, 0x01, 0x00, 0x00, 0x10};
  pcapscope::proto::tls::TlsRecordReader r(nullptr);
  r.on_data(0, record);
  EXPECT_EQ(r.problem(), pcapscope::proto::tls::TlsProblem::kRecordTooLong);
  // A handshake header claiming 16 MiB inside a small record.
  const Bytes hs{0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0xff, 0xff, 0xff};
  pcapscope::proto::tls::TlsRecordReader r2(nullptr);
  r2.on_data(0, hs);
  EXPECT_EQ(r2.problem(), pcapscope::proto::tls::TlsProblem::kHandshakeTooLong);
  run_all_modes(pcapscope::fuzz::fuzz_tls, two_directions(record, hs));
}

TEST(FuzzRegressions, SshPacketLength0xffffffff) {
  Bytes s = bytes_of("SSH-2.0-OpenSSH_9.2\r\n");
  for (std::uint8_t b : {0xff, 0xff, 0xff, 0xff, 0x04, 0x14}) s.push_back(b);
  pcapscope::proto::ssh::SshParser p(false);
  p.on_data(0, s);
  EXPECT_TRUE(p.banner_seen());
  EXPECT_TRUE(p.failed());
  ASSERT_FALSE(p.problems().empty());
  EXPECT_EQ(p.problems().back(), "ssh_bad_packet_length");
  run_all_modes(pcapscope::fuzz::fuzz_ssh, two_directions(s, s));
}

}  // namespace

namespace {

// Found by reading while writing the harness: one delivery larger than
// kMaxPacket + 4 lost everything past that (the parser appended one slice and
// dropped the rest), so packets after it were misframed. Reassembly may hand
// over such a run at once; the result must not depend on the segmentation.
TEST(FuzzRegressions, SshDeliveryLargerThanOnePacketBuffer) {
  std::string s = "SSH-2.0-x\r\n";
  const std::size_t n = 40000;  // 12-byte packets: 480,000 bytes, over kMaxPacket + 4
  for (std::size_t i = 0; i < n; ++i) s += std::string("\0\0\0\x08\x04\x02\0\0\0\0\0\0", 12);
  const auto* b = reinterpret_cast<const std::uint8_t*>(s.data());
  pcapscope::proto::ssh::SshParser whole(false), chunked(false);
  whole.on_data(0, {b, s.size()});
  for (std::size_t off = 0; off < s.size(); off += 1000) chunked.on_data(off, {b + off, std::min<std::size_t>(1000, s.size() - off)});
  EXPECT_EQ(whole.packets(), n);
  EXPECT_EQ(chunked.packets(), n);
  EXPECT_FALSE(whole.failed());
}

}  // namespace

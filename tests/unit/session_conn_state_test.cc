// Zeek conn.log semantics of the session stage: every conn_state code, every
// history letter and its repetition rule, byte/packet/duration accounting,
// role flips, connection reuse, timeouts, the live-session cap and uids.
//
// Each test builds frames with tools/packet_builder.h, writes them to a temp
// pcap with CaptureWriter, reads them back with CaptureReader, decodes them
// and runs them through SessionTable; the records handed to
// SessionObserver::on_session_end are compared with what Zeek would log.
//
// The reference is Zeek's own source:
//  - base/protocols/conn/main.zeek: Conn::Info$history (letters; "a, d, i, q
//    at most once per direction; f, h, r, s again when the sequence number
//    differs from the last packet with that flag; c, g, t, w on the 1st, 10th,
//    100th ... event") and Conn::conn_state() (the S0 ... OTH decision tree;
//    RSTOS0 is /\^?S[^HAFGIQ]*R.*/ on the history).
//  - src/packet_analysis/protocol/tcp/TCPSessionAdapter.cc: Process(),
//    update_history(), update_window(), update_last_seq(), init_endpoint(),
//    UpdateStateMachine() and friends, IsReuse(); TCP.cc: WantConnection()
//    (first-packet role flip by likely_server_ports), ValidateChecksum().
//  - src/analyzer/protocol/tcp/TCP_Endpoint.cc: Size(), DidRxmit(),
//    ZeroWindow(), ChecksumError(), Gap() (ScaledHistoryEntry);
//    TCP_Reassembler.cc: Gap()/Undelivered() (content gaps, 'g', missed_bytes).
//  - src/packet_analysis/protocol/udp/UDP.cc, UDPSessionAdapter.cc (UDP 'D'/'d',
//    'C'/'c', UDP_ACTIVE); src/Conn.cc: FlipRoles() ('^'), ScaledHistoryEntry().
//
// Addresses: the client is 10.0.0.1:40000, the server 10.0.0.2:80 (80 is one
// of Zeek's likely_server_ports, 40000 and 50000 are not). Client ISN 1000,
// server ISN 5000 unless a test says otherwise.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../../tools/packet_builder.h"
#include "pcapscope/capture.h"
#include "pcapscope/decode.h"
#include "pcapscope/session.h"
#include "pcapscope/writer.h"

namespace pcapscope {
namespace {

using tools::Frame;

constexpr std::int64_t kT0 = 1'700'000'000'000'000'000;
constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kSec = 1'000'000'000;

constexpr tools::Mac kMacClient{0x02, 0, 0, 0, 0, 0x01}, kMacServer{0x02, 0, 0, 0, 0, 0x02};
constexpr tools::Ip4 kClient{10, 0, 0, 1}, kServer{10, 0, 0, 2};

constexpr std::uint8_t kFin = tools::tcpf::kFin, kSyn = tools::tcpf::kSyn, kRst = tools::tcpf::kRst,
                       kPsh = tools::tcpf::kPsh, kAck = tools::tcpf::kAck;
constexpr std::uint8_t kSA = kSyn | kAck, kA = kAck, kPA = kPsh | kAck, kFA = kFin | kAck, kRA = kRst | kAck;

// ---------------------------------------------------------------------------
// Frame building

Frame ip4_frame(const tools::Mac& dmac, const tools::Mac& smac, const tools::Ip4& src, const tools::Ip4& dst,
                std::uint8_t proto, const Frame& l4) {
  return tools::ipv4(tools::ethernet(dmac, smac, 0x0800), src, dst, proto, l4);
}

// One TCP conversation between the client and the server.
struct Tcp {
  std::uint16_t cport = 40000, sport = 80;

  Frame c(std::uint32_t seq, std::uint32_t ack, std::uint8_t flags, std::string_view data = {},
          std::uint16_t window = 64240) const {
    tools::TcpSegment s{cport, sport, seq, ack, flags, window, false};
    return ip4_frame(kMacServer, kMacClient, kClient, kServer, 6, tools::tcp(s, data));
  }
  Frame s(std::uint32_t seq, std::uint32_t ack, std::uint8_t flags, std::string_view data = {},
          std::uint16_t window = 64240) const {
    tools::TcpSegment t{sport, cport, seq, ack, flags, window, false};
    return ip4_frame(kMacClient, kMacServer, kServer, kClient, 6, tools::tcp(t, data));
  }
};

Frame bytes_of(std::string_view s) { return Frame(s.begin(), s.end()); }

// One UDP conversation between the client and the server.
struct Udp {
  std::uint16_t cport = 40000, sport = 53;
  Frame c(std::string_view data) const {
    return ip4_frame(kMacServer, kMacClient, kClient, kServer, 17, tools::udp(cport, sport, bytes_of(data)));
  }
  Frame s(std::string_view data) const {
    return ip4_frame(kMacClient, kMacServer, kServer, kClient, 17, tools::udp(sport, cport, bytes_of(data)));
  }
};

// Flips one bit of the TCP or UDP checksum (Ethernet + 20-byte IPv4 header).
// A +-1 change is never a ones-complement equivalent (unlike 0x0000 <-> 0xffff).
Frame corrupt(Frame f) {
  const std::size_t l4 = 14 + 20;
  const std::uint8_t proto = f[14 + 9];
  const std::size_t at = l4 + (proto == 6 ? 16 : 6);
  f[at + 1] ^= 0x01;
  return f;
}

// ---------------------------------------------------------------------------
// Fixture: frames -> temp pcap -> reader -> decode -> SessionTable

struct Timed {
  Frame frame;
  std::int64_t ts_ns;
};

class Recorder final : public SessionObserver {
 public:
  void on_session_end(const SessionRecord& rec) override { records.push_back(rec); }
  std::vector<SessionRecord> records;
};

std::filesystem::path tmp_dir() {
  std::filesystem::path dir = std::filesystem::path(PCAPSCOPE_TEST_TMPDIR) / "session_conn_state";
  std::filesystem::create_directories(dir);
  return dir;
}

std::string fresh_path() {
  static int counter = 0;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "none";
  for (char& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '.') ch = '_';
  }
  return (tmp_dir() / (name + "." + std::to_string(++counter) + ".pcap")).string();
}

std::vector<SessionRecord> run_timed(const std::vector<Timed>& packets, SessionOptions options = {}) {
  const std::string path = fresh_path();
  Interface iface;
  iface.link_type = linktype::kEthernet;
  iface.snaplen = 65535;
  iface.tsresol.raw = 9;  // nanoseconds
  {
    auto w = CaptureWriter::create(path, WriteFormat::kPcap, {iface}, true);
    EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().message);
    if (!w.ok()) return {};
    for (const Timed& t : packets) {
      Packet p;
      p.data = Bytes(t.frame.data(), t.frame.size());
      p.orig_len = static_cast<std::uint32_t>(t.frame.size());
      p.ts_ns = t.ts_ns;
      p.ts_ticks = static_cast<std::uint64_t>(t.ts_ns);
      p.link_type = linktype::kEthernet;
      EXPECT_TRUE((*w)->write(p).ok());
    }
    EXPECT_TRUE((*w)->close().ok());
  }
  auto r = CaptureReader::open(path);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  if (!r.ok()) return {};
  Recorder rec;
  std::size_t read = 0;
  {
    SessionTable table(options, &rec);
    Packet p;
    DecodedPacket d;
    while ((*r)->next(p)) {
      ++read;
      decode(p, d);
      table.process(d);
    }
    table.finish();
    EXPECT_EQ(table.live(), 0u);
  }
  EXPECT_EQ(read, packets.size()) << "pcap round trip lost packets";
  std::filesystem::remove(path);
  return rec.records;
}

// Frames at kT0, kT0 + 1 ms, kT0 + 2 ms ...
std::vector<SessionRecord> run(const std::vector<Frame>& frames, SessionOptions options = {}) {
  std::vector<Timed> timed;
  timed.reserve(frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) timed.push_back({frames[i], kT0 + static_cast<std::int64_t>(i) * kMs});
  return run_timed(timed, options);
}

std::string state(const SessionRecord& r) { return std::string(conn_state_name(r.conn_state)); }
std::string history(const SessionRecord& r) { return std::string(r.history_view()); }

// The one record a single-connection trace must give, with its state and history.
#define EXPECT_ONE_CONN(records, want_state, want_history)        \
  do {                                                            \
    ASSERT_EQ((records).size(), 1u);                              \
    EXPECT_EQ(state((records)[0]), (want_state));                 \
    EXPECT_EQ(history((records)[0]), (want_history));             \
  } while (0)

// The usual handshake; client ISN 1000, server ISN 5000.
std::vector<Frame> handshake(const Tcp& t = {}) {
  return {t.c(1000, 0, kSyn), t.s(5000, 1001, kSA), t.c(1001, 5001, kA)};
}

std::vector<Frame> cat(std::vector<Frame> a, const std::vector<Frame>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// ===========================================================================
// conn_state: every TCP code (Conn::conn_state in base/protocols/conn/main.zeek)

// SF: normal establishment and termination. Also the byte, packet and
// duration accounting of a plain connection:
//  - orig_bytes/resp_bytes from the sequence space (TCP_Endpoint::Size: last
//    or acked sequence minus ISN, minus the SYN and the FIN octets);
//  - orig_pkts/orig_ip_bytes per direction (ConnSize analyzer);
//  - duration stops at the last packet before both sides closed: Process()
//    calls SetLastTime only `if ( ! orig->did_close || ! resp->did_close )`,
//    so the final ACK after both FINs is not part of it (main.zeek's note on
//    `duration`).
TEST(ConnState, SFNormalEstablishmentAndTermination) {
  Tcp t;
  const auto recs = run(cat(handshake(t), {
                                              t.c(1001, 5001, kPA, "hello"),   // 3: D
                                              t.s(5001, 1006, kA),             // 4: a
                                              t.s(5001, 1006, kPA, "world!"),  // 5: d
                                              t.c(1006, 5007, kFA),            // 6: F
                                              t.s(5007, 1007, kFA),            // 7: f
                                              t.c(1007, 5008, kA),             // 8: final ACK
                                          }));
  EXPECT_ONE_CONN(recs, "SF", "ShADadFf");
  const SessionRecord& r = recs[0];
  EXPECT_EQ(r.proto, Transport::kTcp);
  EXPECT_EQ(r.orig_h.to_string(), "10.0.0.1");
  EXPECT_EQ(r.resp_h.to_string(), "10.0.0.2");
  EXPECT_EQ(r.orig_p, 40000);
  EXPECT_EQ(r.resp_p, 80);
  EXPECT_EQ(r.orig_bytes, 5u);
  EXPECT_EQ(r.resp_bytes, 6u);
  EXPECT_EQ(r.missed_bytes, 0u);
  EXPECT_EQ(r.orig_pkts, 5u);
  EXPECT_EQ(r.resp_pkts, 4u);
  EXPECT_EQ(r.orig_ip_bytes, 5u * 40 + 5);
  EXPECT_EQ(r.resp_ip_bytes, 4u * 40 + 6);
  EXPECT_EQ(r.ts_ns, kT0);
  EXPECT_TRUE(r.has_duration());
  EXPECT_EQ(r.duration_ns(), 7 * kMs);  // up to the responder's FIN, not the final ACK
  EXPECT_EQ(r.first_frame, 1u);
  EXPECT_EQ(r.last_frame, 9u);
  EXPECT_EQ(r.flags, 0u);  // closed normally: no end-of-input flag
}

// S0: connection attempt seen, no reply (os SYN_SENT, rs INACTIVE).
TEST(ConnState, S0AttemptWithoutReply) {
  Tcp t;
  const auto recs = run({t.c(1000, 0, kSyn)});
  EXPECT_ONE_CONN(recs, "S0", "S");
  EXPECT_EQ(recs[0].orig_pkts, 1u);
  EXPECT_EQ(recs[0].resp_pkts, 0u);
  EXPECT_FALSE(recs[0].has_duration());
  EXPECT_TRUE(recs[0].flags & session_flag::kEndOfInput);
}

// S1: established, not terminated (both ESTABLISHED).
TEST(ConnState, S1EstablishedNotTerminated) {
  Tcp t;
  const auto recs = run(cat(handshake(t), {t.c(1001, 5001, kPA, "hello"), t.s(5001, 1006, kA),
                                           t.s(5001, 1006, kPA, "world!")}));
  EXPECT_ONE_CONN(recs, "S1", "ShADad");
  EXPECT_EQ(recs[0].orig_bytes, 5u);
  EXPECT_EQ(recs[0].resp_bytes, 6u);
  EXPECT_TRUE(recs[0].flags & session_flag::kEndOfInput);
}

// REJ: the responder answers the SYN with a RST (rs RESET, os SYN_SENT).
TEST(ConnState, REJSynAnsweredByReset) {
  Tcp t;
  const auto recs = run({t.c(1000, 0, kSyn), t.s(0, 1001, kRA)});
  EXPECT_ONE_CONN(recs, "REJ", "Sr");
  EXPECT_FALSE(recs[0].flags & session_flag::kEndOfInput);
}

// S2: established, the originator closed, no FIN from the responder (its ACK
// of the FIN is not a close).
TEST(ConnState, S2OriginatorClosedOnly) {
  Tcp t;
  const auto recs = run(cat(handshake(t), {t.c(1001, 5001, kPA, "hello"), t.s(5001, 1006, kA),
                                           t.c(1006, 5001, kFA), t.s(5001, 1007, kA)}));
  EXPECT_ONE_CONN(recs, "S2", "ShADaF");
}

// S3: established, the responder closed, no FIN from the originator.
TEST(ConnState, S3ResponderClosedOnly) {
  Tcp t;
  const auto recs = run(cat(handshake(t), {t.s(5001, 1001, kPA, "world!"), t.s(5007, 1001, kFA),
                                           t.c(1001, 5008, kA)}));
  EXPECT_ONE_CONN(recs, "S3", "ShAdf");
}

// RSTO: established, the originator aborted.
TEST(ConnState, RSTOOriginatorAborted) {
  Tcp t;
  const auto recs = run(cat(handshake(t), {t.c(1001, 5001, kPA, "hello"), t.c(1006, 5001, kRA)}));
  EXPECT_ONE_CONN(recs, "RSTO", "ShADR");
}

// RSTR: established, the responder sent a RST.
TEST(ConnState, RSTRResponderReset) {
  Tcp t;
  const auto recs = run(cat(handshake(t), {t.c(1001, 5001, kPA, "hello"), t.s(5001, 1006, kRA)}));
  EXPECT_ONE_CONN(recs, "RSTR", "ShADr");
}

// RSTOS0: a SYN then the originator's RST, nothing from the responder
// (history matches /\^?S[^HAFGIQ]*R.*/).
TEST(ConnState, RSTOS0SynThenOriginatorReset) {
  Tcp t;
  const auto recs = run({t.c(1000, 0, kSyn), t.c(1001, 0, kRst)});
  EXPECT_ONE_CONN(recs, "RSTOS0", "SR");
}

// RSTRH: a SYN-ACK then a RST from the responder, no SYN from the originator.
// The SYN-ACK comes from port 80 to port 40000: TCPAnalyzer::WantConnection
// flips the roles (likely server port to a non-server port), hence '^'.
TEST(ConnState, RSTRHSynAckThenResponderReset) {
  Tcp t;
  const auto recs = run({t.s(5000, 1001, kSA), t.s(5001, 1001, kRA)});
  EXPECT_ONE_CONN(recs, "RSTRH", "^hr");
  EXPECT_EQ(recs[0].orig_h.to_string(), "10.0.0.1");
  EXPECT_EQ(recs[0].orig_p, 40000);
  EXPECT_TRUE(recs[0].flags & session_flag::kFlipped);
}

// SH: a SYN then a FIN from the originator, no SYN-ACK.
TEST(ConnState, SHSynThenFinNoReply) {
  Tcp t;
  const auto recs = run({t.c(1000, 0, kSyn), t.c(1001, 0, kFin)});
  EXPECT_ONE_CONN(recs, "SH", "SF");
}

// SHR: a SYN-ACK then a FIN from the responder, no SYN (flipped as RSTRH).
TEST(ConnState, SHRSynAckThenResponderFin) {
  Tcp t;
  const auto recs = run({t.s(5000, 1001, kSA), t.s(5001, 1001, kFA)});
  EXPECT_ONE_CONN(recs, "SHR", "^hf");
}

// OTH: midstream traffic only (both endpoints PARTIAL). No gap is reported
// for a partial connection (report_gaps_for_partial = F).
TEST(ConnState, OTHMidstreamOnly) {
  Tcp t;
  const auto recs = run({t.c(1001, 5001, kPA, "hello"), t.s(5001, 1006, kPA, "world!")});
  EXPECT_ONE_CONN(recs, "OTH", "Dd");
  EXPECT_EQ(recs[0].orig_p, 40000);  // 40000 is no server port: no flip
  EXPECT_EQ(recs[0].missed_bytes, 0u);
}

// UDP (conn_state(): os UDP_ACTIVE / rs UDP_ACTIVE; UDP.cc adds 'D'/'d' once
// per direction with CheckHistory).
TEST(ConnState, UdpSFBothSidesSent) {
  Udp u;
  const auto recs = run({u.c("0123456789"), u.s("01234567890123456789")});
  EXPECT_ONE_CONN(recs, "SF", "Dd");
  EXPECT_EQ(recs[0].proto, Transport::kUdp);
  EXPECT_EQ(recs[0].orig_bytes, 10u);
  EXPECT_EQ(recs[0].resp_bytes, 20u);
  EXPECT_EQ(recs[0].orig_pkts, 1u);
  EXPECT_EQ(recs[0].resp_pkts, 1u);
}

TEST(ConnState, UdpS0OnlyOriginatorSent) {
  Udp u;
  const auto recs = run({u.c("query"), u.c("query")});
  EXPECT_ONE_CONN(recs, "S0", "D");  // 'D' once, however many datagrams
  EXPECT_EQ(recs[0].orig_pkts, 2u);
}

// SHR for UDP: only the responder sent. The first datagram is from port 53 to
// 40000, so UDPAnalyzer::WantConnection flips the roles and the sender is the
// responder.
TEST(ConnState, UdpSHROnlyResponderSent) {
  Udp u;
  const auto recs = run({u.s("answer")});
  EXPECT_ONE_CONN(recs, "SHR", "^d");
  EXPECT_EQ(recs[0].orig_h.to_string(), "10.0.0.1");
  EXPECT_EQ(recs[0].orig_p, 40000);
  EXPECT_EQ(recs[0].resp_p, 53);
  EXPECT_EQ(recs[0].resp_pkts, 1u);
  EXPECT_TRUE(recs[0].flags & session_flag::kFlipped);
}

// OTH for UDP: neither side UDP_ACTIVE. In Zeek the only way there is a
// datagram whose checksum fails: UDPAnalyzer::DeliverPacket calls
// HandleBadChecksum ('C') and returns before UpdateLength and the 'D', so the
// endpoint stays UDP_INACTIVE.
// Deliberate difference from Zeek, pinned here: Zeek drops a UDP datagram with
// a bad checksum after logging 'C' (UDPAnalyzer::DeliverPacket ->
// HandleBadChecksum), so a flow of corrupt datagrams only is OTH "C". pcapscope
// keeps bad-checksum packets (checksum offload makes locally captured traffic
// look corrupt; see src/session/tcp_state.h), so the datagram counts as
// traffic: S0 "DC". UDP's OTH therefore cannot occur; TCP's OTH is tested above.
TEST(ConnState, UdpCorruptDatagramIsKeptNotOTH) {
  Udp u;
  u.sport = 50000;  // no server port: no flip
  const auto recs = run({corrupt(u.c("query"))});
  EXPECT_ONE_CONN(recs, "S0", "DC");
}

// ICMP is always OTH and has no history letters; an echo reply belongs to its
// request's connection (ports are type and counterpart type: 8 -> 0).
TEST(ConnState, IcmpEchoIsOTH) {
  const Frame req = ip4_frame(kMacServer, kMacClient, kClient, kServer, 1, tools::icmp_echo(true, 7, 1, "abcdefgh"));
  const Frame rep = ip4_frame(kMacClient, kMacServer, kServer, kClient, 1, tools::icmp_echo(false, 7, 1, "abcdefgh"));
  const auto recs = run({req, rep});
  EXPECT_ONE_CONN(recs, "OTH", "");
  EXPECT_EQ(recs[0].proto, Transport::kIcmp);
  EXPECT_EQ(recs[0].orig_p, 8);
  EXPECT_EQ(recs[0].resp_p, 0);
  EXPECT_EQ(recs[0].orig_pkts, 1u);
  EXPECT_EQ(recs[0].resp_pkts, 1u);
}

// ===========================================================================
// history letters

// 'A'/'a' and 'D'/'d': once per direction however many pure ACKs and data
// packets (update_history: CheckHistory(HIST_ACK_PKT / HIST_DATA_PKT)).
TEST(History, AckAndDataOncePerDirection) {
  Tcp t;
  const auto recs = run(cat(handshake(t), {
                                              t.c(1001, 5001, kPA, "aa"),
                                              t.s(5001, 1003, kA),
                                              t.c(1003, 5001, kPA, "bb"),
                                              t.s(5001, 1005, kPA, "xyz"),
                                              t.c(1005, 5004, kA),
                                              t.s(5004, 1005, kPA, "uvw"),
                                              t.c(1005, 5007, kA),
                                              t.s(5007, 1005, kA),
                                          }));
  EXPECT_ONE_CONN(recs, "S1", "ShADad");
  EXPECT_EQ(recs[0].orig_bytes, 4u);
  EXPECT_EQ(recs[0].resp_bytes, 6u);
}

// 'S'/'h' not repeated for a retransmission with the same sequence number.
// (IsReuse: a SYN whose sequence number equals the originator's ISN on an open
// connection is no reuse; update_history: rel_seq == hist_last_SYN.)
TEST(History, SynAndSynAckRetransmissionsNotRepeated) {
  Tcp t;
  const auto recs = run({t.c(1000, 0, kSyn), t.c(1000, 0, kSyn), t.s(5000, 1001, kSA), t.c(1000, 0, kSyn),
                         t.s(5000, 1001, kSA), t.c(1001, 5001, kA)});
  EXPECT_ONE_CONN(recs, "S1", "ShA");
  EXPECT_EQ(recs[0].orig_pkts, 4u);
  EXPECT_EQ(recs[0].resp_pkts, 2u);
}

// 'h' repeated when the SYN-ACK's sequence number differs from the last one.
// A SYN-ACK on an ESTABLISHED endpoint re-initialises its ISN (init_endpoint),
// so its relative sequence is 0 again and no letter is added; after the
// responder's RST (RESET, prev_state ESTABLISHED) the ISN is kept and a
// SYN-ACK at another sequence number has rel_seq != hist_last_SYN.
TEST(History, SynAckRepeatedOnlyForNewSequence) {
  Tcp t;
  const auto recs = run({
      t.c(1000, 0, kSyn),     // S
      t.s(5000, 1001, kSA),   // h
      t.s(5000, 1001, kSA),   // same sequence: -
      t.s(5001, 1001, kRA),   // r
      t.s(9000, 1001, kSA),   // rel_seq 4000: h
      t.s(9000, 1001, kSA),   // same again: -
  });
  // The first SYN-ACK moved the originator to ESTABLISHED (UpdateInactiveState:
  // "if ( peer->state == SYN_SENT ) peer->SetState(ESTABLISHED)"), so the
  // responder's RST makes it RSTR, not REJ.
  EXPECT_ONE_CONN(recs, "RSTR", "Shrh");
}

// The same for the originator's 'H': the SYN-ACK comes first from port 50000
// to 40000 (neither is a likely server port, so WantConnection does not flip:
// "for SYN acks we could safely flip the roles, but that doesn't work for
// stealth scans"); the originator is the SYN-ACK's sender (SYN_ACK_SENT).
// RST (RESET, prev SYN_ACK_SENT keeps the ISN), then a SYN-ACK at another
// sequence number: 'H' again; the same one once more: nothing. IsReuse never
// fires: a SYN-ACK is reuse only while the originator is INACTIVE. The
// responder never sent anything and the history is not /^\^?S.../: OTH.
TEST(History, OriginatorSynAckRepeatedOnlyForNewSequence) {
  Tcp t;
  t.sport = 50000;
  const auto recs = run({t.s(5000, 1001, kSA), t.s(5001, 1001, kRA), t.s(9000, 1001, kSA), t.s(9000, 1001, kSA)});
  EXPECT_ONE_CONN(recs, "OTH", "HRH");
  EXPECT_EQ(recs[0].orig_p, 50000);
  EXPECT_FALSE(recs[0].flags & session_flag::kFlipped);
}

// 'F'/'f': a FIN's sequence number is the one after its data; a FIN
// retransmitted at the same place adds nothing, a FIN at another place adds
// the letter again (both directions). A FIN carrying data adds no 'D'
// (bits_set == 1 takes the flag branch only).
TEST(History, FinRepeatedOnlyForNewSequence) {
  Tcp t;
  const auto recs = run(cat(handshake(t), {
                                              t.c(1001, 5001, kFA | kPsh, "hello"),  // F at rel 1+5
                                              t.c(1006, 5001, kFA),                  // FIN at rel 6: -
                                              t.s(5001, 1007, kFA),                  // f at rel 1
                                              t.s(5001, 1007, kFA),                  // same: -
                                              t.c(1010, 5002, kFA),                  // rel 10: F
                                              t.s(5003, 1007, kFA),                  // rel 3: f
                                          }));
  EXPECT_ONE_CONN(recs, "SF", "ShAFfFf");
}

// 'R'/'r': again for a RST at another sequence number, not for the same one.
TEST(History, RstRepeatedOnlyForNewSequence) {
  Tcp t;
  const auto recs = run(cat(handshake(t), {
                                              t.c(1001, 5001, kPA, "hello"),  // D
                                              t.c(1006, 5001, kRA),           // R
                                              t.c(1006, 5001, kRA),           // -
                                              t.c(1506, 5001, kRA),           // R
                                              t.s(5001, 1006, kRA),           // r
                                              t.s(5001, 1006, kRA),           // -
                                              t.s(5501, 1006, kRA),           // r
                                          }));
  // rs RESET, os RESET with orig size 5 != 0: not REJ; os not inactive: RSTR.
  EXPECT_ONE_CONN(recs, "RSTR", "ShADRRrr");
}

// 'I'/'i': FIN and RST together, once per direction.
TEST(History, FinRstOncePerDirection) {
  Tcp t;
  const auto recs = run(cat(handshake(t), {
                                              t.c(1001, 5001, kPA, "hello"),
                                              t.s(5001, 1006, kA),
                                              t.c(1006, 5001, kFin | kRst | kAck),  // I
                                              t.c(1006, 5001, kFin | kRst | kAck),  // -
                                              t.s(5001, 1006, kFin | kRst | kAck),  // i
                                              t.s(5001, 1006, kFin | kRst | kAck),  // -
                                          }));
  // Both RESET; orig size 5 (not REJ); orig not inactive: RSTR.
  EXPECT_ONE_CONN(recs, "RSTR", "ShADaIi");
}

// 'Q'/'q': SYN with FIN (multi-flag), once per direction. The packets carry
// ACK so that IsReuse (SYN without ACK on a closed connection) stays out.
TEST(History, MultiFlagOncePerDirection) {
  Tcp t;
  const auto recs = run({
      t.c(1000, 0, kSyn),                  // S
      t.s(5000, 1001, kSyn | kFin | kAck),  // q (responder ESTABLISHED then CLOSED)
      t.s(5000, 1001, kSyn | kFin | kAck),  // -
      t.c(1000, 5002, kSyn | kFin | kAck),  // Q (originator CLOSED)
      t.c(1000, 5002, kSyn | kFin | kAck),  // -
  });
  EXPECT_ONE_CONN(recs, "SF", "SqQ");
}

// '^' and 'h': the first packet is a SYN-ACK from a likely server port, so
// the roles are flipped before anything is logged ("^h..."); a pure ACK from
// the originator then establishes it (UpdateInactiveState: "we just missed
// that initial SYN").
TEST(History, FlipWhenFirstPacketIsSynAck) {
  Tcp t;
  const auto recs = run({
      t.s(5000, 1001, kSA),
      t.c(1001, 5001, kA),
      t.c(1001, 5001, kPA, "GET"),
      t.s(5001, 1004, kPA, "resp"),
      t.c(1004, 5005, kFA),
      t.s(5005, 1005, kFA),
      t.c(1005, 5006, kA),
  });
  EXPECT_ONE_CONN(recs, "SF", "^hADdFf");
  const SessionRecord& r = recs[0];
  EXPECT_TRUE(r.flags & session_flag::kFlipped);
  EXPECT_EQ(r.orig_h.to_string(), "10.0.0.1");
  EXPECT_EQ(r.orig_p, 40000);
  EXPECT_EQ(r.resp_p, 80);
  EXPECT_EQ(r.orig_pkts, 4u);
  EXPECT_EQ(r.resp_pkts, 3u);
  EXPECT_EQ(r.orig_bytes, 3u);
  EXPECT_EQ(r.resp_bytes, 4u);
  EXPECT_EQ(r.ts_ns, kT0);  // the first packet, whoever sent it
}

// 's' and '^': SYN/SYN-ACK reversal (the SYN-ACK captured before its SYN,
// between non-server ports so WantConnection does not flip). The SYN-ACK
// sender is the originator ('H', SYN_ACK_SENT). The SYN that follows, with the
// sequence number the SYN-ACK acknowledged, is logged by the responder ('s'),
// then UpdateInactiveState sees "peer SYN_ACK_SENT && base_seq == StartSeq":
// FlipRoles ('^') and both sides ESTABLISHED. IsReuse lets the SYN through for
// the same reason ("consistent with the SYN & the SYN-ACK being flipped").
// Zeek's btest: scripts/base/protocols/conn/... handshake-reorder.trace.
TEST(History, SynSynAckReversal) {
  Tcp t;
  t.sport = 50000;
  const auto recs = run({
      t.s(5000, 1001, kSA),
      t.c(1000, 0, kSyn),
      t.c(1001, 5001, kA),
      t.c(1001, 5001, kPA, "hello"),
      t.s(5001, 1006, kPA, "world!"),
      t.c(1006, 5007, kFA),
      t.s(5007, 1007, kFA),
      t.c(1007, 5008, kA),
  });
  EXPECT_ONE_CONN(recs, "SF", "Hs^ADdFf");
  const SessionRecord& r = recs[0];
  EXPECT_TRUE(r.flags & session_flag::kFlipped);
  EXPECT_EQ(r.orig_h.to_string(), "10.0.0.1");  // the SYN's sender
  EXPECT_EQ(r.orig_p, 40000);
  EXPECT_EQ(r.resp_p, 50000);
  EXPECT_EQ(r.orig_pkts, 5u);
  EXPECT_EQ(r.resp_pkts, 3u);
  EXPECT_EQ(r.orig_bytes, 5u);
  EXPECT_EQ(r.resp_bytes, 6u);
}

// 'C'/'c' (TCP): logarithmic, 1st and 10th bad checksum. The corrupt packets
// are duplicate pure ACKs, which add nothing else whether tracked or dropped
// (Zeek drops them after ChecksumError), so the history is Zeek's exactly.
TEST(History, TcpChecksumLogarithmic) {
  Tcp t;
  std::vector<Frame> f = cat(handshake(t), {t.c(1001, 5001, kPA, "hello"), t.s(5001, 1006, kA)});
  for (int i = 0; i < 10; ++i) f.push_back(corrupt(t.c(1006, 5001, kA)));
  f.push_back(corrupt(t.s(5001, 1006, kA)));
  f.push_back(t.c(1006, 5001, kFA));
  f.push_back(t.s(5001, 1007, kFA));
  f.push_back(t.c(1007, 5002, kA));
  const auto recs = run(f);
  EXPECT_ONE_CONN(recs, "SF", "ShADaCCcFf");
}

// 'C'/'c' (UDP): UDPSessionAdapter::HandleBadChecksum, also logarithmic. The
// corrupt datagrams follow good ones, so 'D' is already logged either way.
TEST(History, UdpChecksumLogarithmic) {
  Udp u;
  std::vector<Frame> f = {u.c("query"), u.s("answer")};
  for (int i = 0; i < 10; ++i) f.push_back(corrupt(u.c("query")));
  f.push_back(corrupt(u.s("answer")));
  const auto recs = run(f);
  EXPECT_ONE_CONN(recs, "SF", "DdCCc");
}

// 'T'/'t': payload that does not advance the sequence space is a
// retransmission (update_last_seq: delta_last <= 0 && len > 0 -> DidRxmit),
// logged on the 1st, 10th, 100th. The retransmitted bytes are not counted
// twice: orig_bytes comes from the sequence space.
TEST(History, RetransmissionLogarithmicAndBytesCountedOnce) {
  struct Case {
    int rexmits;
    const char* history;
  };
  for (const Case c : {Case{1, "ShADT"}, Case{9, "ShADT"}, Case{10, "ShADTT"}, Case{99, "ShADTT"},
                       Case{100, "ShADTTT"}}) {
    SCOPED_TRACE(c.rexmits);
    Tcp t;
    std::vector<Frame> f = cat(handshake(t), {t.c(1001, 5001, kPA, "hello")});
    for (int i = 0; i < c.rexmits; ++i) f.push_back(t.c(1001, 5001, kPA, "hello"));
    const auto recs = run(f);
    EXPECT_ONE_CONN(recs, "S1", c.history);
    EXPECT_EQ(recs[0].orig_bytes, 5u);
    EXPECT_EQ(recs[0].orig_pkts, 3u + static_cast<unsigned>(c.rexmits));
  }
}

// The responder's retransmissions are 't'.
TEST(History, ResponderRetransmissionLowerCase) {
  Tcp t;
  std::vector<Frame> f = cat(handshake(t), {t.s(5001, 1001, kPA, "data")});
  for (int i = 0; i < 10; ++i) f.push_back(t.s(5001, 1001, kPA, "data"));
  const auto recs = run(f);
  EXPECT_ONE_CONN(recs, "S1", "ShAdtt");
  EXPECT_EQ(recs[0].resp_bytes, 4u);
}

// 'W'/'w': zero-window advertisements (update_window), logarithmic.
TEST(History, ZeroWindowLogarithmic) {
  Tcp t;
  std::vector<Frame> f = cat(handshake(t), {t.c(1001, 5001, kPA, "hello")});
  for (int i = 0; i < 10; ++i) f.push_back(t.s(5001, 1006, kA, {}, 0));
  f.push_back(t.c(1006, 5001, kA, {}, 0));
  const auto recs = run(f);
  EXPECT_ONE_CONN(recs, "S1", "ShADawwW");
}

// 'g' and missed_bytes: the responder's data has a hole the capture missed
// and the originator acknowledges past it. TCP_Reassembler::Undelivered ->
// Gap(): both endpoints cleanly established, so the endpoint's Gap() logs 'g'
// and content_gap adds the length to missed_bytes. resp_bytes still counts the
// missing bytes (sequence space).
TEST(History, GapAcknowledgedByPeer) {
  Tcp t;
  const auto recs = run(cat(handshake(t), {
                                              t.c(1001, 5001, kPA, "GET"),    // D
                                              t.s(5001, 1004, kPA, "aaaaa"),  // d
                                              // 5006..5010 never captured
                                              t.s(5011, 1004, kPA, "ccccc"),
                                              t.c(1004, 5016, kA),  // acks past the hole: g
                                              t.c(1004, 5016, kFA),
                                              t.s(5016, 1005, kFA),
                                              t.c(1005, 5017, kA),
                                          }));
  EXPECT_ONE_CONN(recs, "SF", "ShADdgFf");
  EXPECT_EQ(recs[0].missed_bytes, 5u);
  EXPECT_EQ(recs[0].orig_bytes, 3u);
  EXPECT_EQ(recs[0].resp_bytes, 15u);
}

// A hole still counts as a gap when it is revealed by the ACK of the FIN that
// closed the stream: TCP_Reassembler::Gap() logs it when both endpoints are
// is_clean() - ESTABLISHED, or CLOSED with prev_state ESTABLISHED
// ("established_or_cleanly_closing"). AckReceived() clips the ack to the FIN
// (FIN_seq - 1), so the gap is the 5 missing bytes. The endpoint's 'G' comes
// after the responder's 'a' (AckReceived runs after update_history).
TEST(History, GapRevealedByAckOfFinIsLogged) {
  Tcp t;
  const auto recs = run(cat(handshake(t), {
                                              t.c(1001, 5001, kPA, "aaaaa"),  // D
                                              // 1006..1010 never captured
                                              t.c(1011, 5001, kPA, "ccccc"),
                                              t.c(1016, 5001, kFA),  // F: CLOSED, prev ESTABLISHED
                                              t.s(5001, 1017, kA),   // a, then G
                                              t.s(5001, 1017, kFA),  // f
                                              t.c(1017, 5002, kA),
                                          }));
  EXPECT_ONE_CONN(recs, "SF", "ShADFaGf");
  EXPECT_EQ(recs[0].missed_bytes, 5u);
  EXPECT_EQ(recs[0].orig_bytes, 15u);
}

// 'g' is logarithmic too: ten holes give "gg"; missed_bytes adds all of them.
TEST(History, GapLogarithmic) {
  Tcp t;
  std::vector<Frame> f = handshake(t);
  for (std::uint32_t i = 0; i < 10; ++i) {
    f.push_back(t.s(5001 + 10 * i + 5, 1001, kPA, "xxxxx"));  // 5 bytes missing before it
    f.push_back(t.c(1001, 5001 + 10 * i + 10, kA));
  }
  const auto recs = run(f);
  EXPECT_ONE_CONN(recs, "S1", "ShAdgg");
  EXPECT_EQ(recs[0].missed_bytes, 50u);
}

// 'x': analysis cut short by a limit. With max_sessions = 1 a second flow
// evicts the first, which is still reported (flag evicted, 'x' last).
TEST(History, EvictionAddsX) {
  Tcp a, b;
  b.cport = 40001;
  SessionOptions opt;
  opt.max_sessions = 1;
  const auto recs = run({a.c(1000, 0, kSyn), b.c(7000, 0, kSyn)}, opt);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].orig_p, 40000);
  EXPECT_EQ(state(recs[0]), "S0");
  EXPECT_EQ(history(recs[0]), "Sx");
  EXPECT_TRUE(recs[0].flags & session_flag::kEvicted);
  EXPECT_EQ(recs[1].orig_p, 40001);
  EXPECT_EQ(history(recs[1]), "S");
  EXPECT_FALSE(recs[1].flags & session_flag::kEvicted);
}

// ===========================================================================
// session table: reuse, timeouts, the live-session cap, uids

// A new SYN (new ISN) on the tuple of a closed connection starts a new one
// (IsReuse: IsClosed() -> true); the old record is flagged reused.
TEST(SessionTable, NewSynAfterCloseStartsNewSession) {
  Tcp t;
  std::vector<Frame> f = cat(handshake(t), {t.c(1001, 5001, kPA, "hello"), t.s(5001, 1006, kA),
                                            t.s(5001, 1006, kPA, "world!"), t.c(1006, 5007, kFA),
                                            t.s(5007, 1007, kFA), t.c(1007, 5008, kA)});
  f.push_back(t.c(3000, 0, kSyn));
  f.push_back(t.s(7000, 3001, kSA));
  f.push_back(t.c(3001, 7001, kA));
  const auto recs = run(f);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(state(recs[0]), "SF");
  EXPECT_EQ(history(recs[0]), "ShADadFf");
  EXPECT_TRUE(recs[0].flags & session_flag::kReused);
  EXPECT_EQ(recs[0].last_frame, 9u);
  EXPECT_EQ(state(recs[1]), "S1");
  EXPECT_EQ(history(recs[1]), "ShA");
  EXPECT_FALSE(recs[1].flags & session_flag::kReused);
  EXPECT_EQ(recs[1].first_frame, 10u);
  EXPECT_EQ(recs[1].ts_ns, kT0 + 9 * kMs);
  EXPECT_EQ(recs[1].index, 1u);
  EXPECT_NE(recs[0].uid_view(), recs[1].uid_view());
}

// A SYN with another ISN while the first attempt is still open is a new
// connection too: IsReuse, !IsClosed(), base_seq != orig->StartSeq() and not
// the reversal case -> Weird("SYN_seq_jump"), return true. Zeek logs two S0
// attempts; 'S' is never repeated inside one connection for a new ISN.
TEST(SessionTable, SynWithNewIsnWhileOpenStartsNewSession) {
  Tcp t;
  const auto recs = run({t.c(1000, 0, kSyn), t.c(2000, 0, kSyn), t.s(5000, 2001, kSA), t.c(2001, 5001, kA)});
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(state(recs[0]), "S0");
  EXPECT_EQ(history(recs[0]), "S");
  EXPECT_TRUE(recs[0].flags & session_flag::kReused);
  EXPECT_EQ(state(recs[1]), "S1");
  EXPECT_EQ(history(recs[1]), "ShA");
}

// IsClosed() is "orig->did_close || resp->did_close": after the originator's
// FIN (SH, half closed) a new SYN is a reuse as well.
TEST(SessionTable, SynAfterHalfCloseStartsNewSession) {
  Tcp t;
  const auto recs = run({t.c(1000, 0, kSyn), t.c(1001, 0, kFin), t.c(3000, 0, kSyn)});
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(state(recs[0]), "SH");
  EXPECT_EQ(history(recs[0]), "SF");
  EXPECT_TRUE(recs[0].flags & session_flag::kReused);
  EXPECT_EQ(state(recs[1]), "S0");
  EXPECT_EQ(history(recs[1]), "S");
}

// Inactivity: a TCP session idle longer than tcp_timeout_ns ends (timed_out);
// the next packet on the tuple starts a new (here midstream) session.
TEST(SessionTable, TcpInactivityTimeoutEndsSession) {
  Tcp t;
  SessionOptions opt;
  opt.tcp_timeout_ns = 10 * kSec;
  const std::vector<Timed> pkts = {
      {t.c(1000, 0, kSyn), kT0},
      {t.s(5000, 1001, kSA), kT0 + 1 * kMs},
      {t.c(1001, 5001, kA), kT0 + 2 * kMs},
      {t.c(1001, 5001, kPA, "hello"), kT0 + 3 * kMs},
      {t.c(1006, 5001, kPA, "more"), kT0 + 20 * kSec},
  };
  const auto recs = run_timed(pkts, opt);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(state(recs[0]), "S1");
  EXPECT_EQ(history(recs[0]), "ShAD");
  EXPECT_TRUE(recs[0].flags & session_flag::kTimedOut);
  EXPECT_EQ(recs[0].duration_ns(), 3 * kMs);
  EXPECT_EQ(state(recs[1]), "OTH");
  EXPECT_EQ(history(recs[1]), "D");
  EXPECT_FALSE(recs[1].flags & session_flag::kTimedOut);
  EXPECT_EQ(recs[1].ts_ns, kT0 + 20 * kSec);

  // With the default timeout (300 s) it is one session.
  const auto one = run_timed(pkts);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(history(one[0]), "ShAD");
  EXPECT_FALSE(one[0].flags & session_flag::kTimedOut);
}

TEST(SessionTable, UdpInactivityTimeoutIsConfigurable) {
  Udp u;
  const std::vector<Timed> pkts = {
      {u.c("query"), kT0},
      {u.s("answer"), kT0 + 1 * kSec},
      {u.c("again"), kT0 + 7 * kSec},
  };
  SessionOptions opt;
  opt.udp_timeout_ns = 5 * kSec;
  const auto recs = run_timed(pkts, opt);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(state(recs[0]), "SF");
  EXPECT_EQ(history(recs[0]), "Dd");
  EXPECT_TRUE(recs[0].flags & session_flag::kTimedOut);
  EXPECT_EQ(state(recs[1]), "S0");
  EXPECT_EQ(history(recs[1]), "D");

  const auto one = run_timed(pkts);  // default 60 s
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(state(one[0]), "SF");
  EXPECT_EQ(one[0].orig_pkts, 2u);
}

// Timestamps out of order: a session times out by its own idle time, not
// because the session touched before it is due. B's first packet comes after
// A's but carries an earlier time; at 8.5 s B (last seen at 2 s) is past the
// 5 s timeout though A (10 s) is not, so B's packet at 8.6 s starts a new
// session. (Ordered by activity, B hid behind A and was revived; sharded
// tables would not agree with one table then.)
TEST(SessionTable, OutOfOrderTimestampsDoNotHideAnOverdueSession) {
  Udp a, b, c;
  b.cport = 40001;
  c.cport = 40002;
  const std::vector<Timed> pkts = {
      {a.c("a"), kT0 + 10 * kSec},
      {b.c("b1"), kT0 + 2 * kSec},
      {c.c("c"), kT0 + 8500 * kMs},
      {b.c("b2"), kT0 + 8600 * kMs},
  };
  SessionOptions opt;
  opt.udp_timeout_ns = 5 * kSec;
  const auto recs = run_timed(pkts, opt);
  std::vector<const SessionRecord*> of_b;
  for (const auto& r : recs)
    if (r.orig_p == 40001) of_b.push_back(&r);
  ASSERT_EQ(of_b.size(), 2u);
  EXPECT_TRUE(of_b[0]->flags & session_flag::kTimedOut);
  EXPECT_EQ(of_b[0]->orig_pkts, 1u);
  EXPECT_EQ(of_b[1]->ts_ns, kT0 + 8600 * kMs);
  EXPECT_EQ(recs.size(), 4u);
}

// The cap evicts the session idle longest, not the oldest started: A, B,
// then A again, then C with max_sessions = 2 evicts B.
TEST(SessionTable, LiveSessionCapEvictsLeastRecentlyActive) {
  Tcp a, b, c;
  b.cport = 40001;
  c.cport = 40002;
  SessionOptions opt;
  opt.max_sessions = 2;
  const auto recs = run({a.c(1000, 0, kSyn), b.c(2000, 0, kSyn), a.c(1000, 0, kSyn), c.c(3000, 0, kSyn)}, opt);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].orig_p, 40001);
  EXPECT_TRUE(recs[0].flags & session_flag::kEvicted);
  EXPECT_EQ(history(recs[0]), "Sx");
  EXPECT_EQ(recs[1].orig_p, 40000);
  EXPECT_FALSE(recs[1].flags & session_flag::kEvicted);
  EXPECT_EQ(history(recs[1]), "S");
  EXPECT_EQ(recs[1].orig_pkts, 2u);
  EXPECT_EQ(recs[2].orig_p, 40002);
  EXPECT_FALSE(recs[2].flags & session_flag::kEvicted);
}

// Same input -> same uids (two independent runs); different sessions ->
// different uids; Zeek's form: "C" followed by base62 characters.
TEST(SessionTable, UidsAreDeterministic) {
  Tcp t, t2;
  t2.cport = 40001;
  Udp u;
  const std::vector<Frame> f = cat(cat(handshake(t), handshake(t2)), {u.c("query"), u.s("answer")});
  const auto first = run(f);
  const auto second = run(f);
  ASSERT_EQ(first.size(), 3u);
  ASSERT_EQ(second.size(), 3u);
  std::set<std::string> distinct;
  for (std::size_t i = 0; i < first.size(); ++i) {
    const std::string uid(first[i].uid_view());
    EXPECT_EQ(uid, std::string(second[i].uid_view())) << i;
    ASSERT_GE(uid.size(), 2u);
    EXPECT_EQ(uid[0], 'C');
    EXPECT_TRUE(std::all_of(uid.begin() + 1, uid.end(), [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)); }))
        << uid;
    distinct.insert(uid);
  }
  EXPECT_EQ(distinct.size(), 3u);
}

// A gap that a memory cap forced (not capture loss) is said so: the session is
// flagged reassembly_limit and its history gets 'x' ("connection analysis
// partial (e.g. limits exceeded)", main.zeek). Out-of-order data beyond a
// 4-byte budget cannot wait for the hole before it.
TEST(SessionTable, ReassemblyBudgetForcedGapIsFlagged) {
  Tcp t;
  SessionOptions o;
  o.reassembly_memory = 4;
  const auto recs = run(cat(handshake(t), {
                                              t.c(1006, 5001, kPA, "later"),  // 1001..1005 not yet here
                                              t.c(1001, 5001, kPA, "first"),
                                          }),
                        o);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_TRUE(recs[0].flags & session_flag::kReassemblyLimit);
  EXPECT_NE(std::string_view(recs[0].history.data()).find('x'), std::string_view::npos) << recs[0].history.data();
}

// The same with the per-direction cap (reassembly_per_stream) binding and the
// shared budget free: 10 bytes waiting behind a hole pass a 4-byte cap; with the
// default cap they wait, the hole is filled, and nothing is missed.
TEST(SessionTable, PerStreamCapForcesAGapOfItsOwn) {
  Tcp t;
  const auto packets = cat(handshake(t), {
                                             t.c(1006, 5001, kPA, "laterlater"),  // 1001..1005 not yet here
                                             t.c(1001, 5001, kPA, "first"),
                                         });
  SessionOptions o;
  o.reassembly_per_stream = 4;
  const auto capped = run(packets, o);
  ASSERT_EQ(capped.size(), 1u);
  EXPECT_TRUE(capped[0].flags & session_flag::kReassemblyLimit);
  EXPECT_GT(capped[0].missed_bytes, 0u);
  const auto free = run(packets, SessionOptions{});
  ASSERT_EQ(free.size(), 1u);
  EXPECT_FALSE(free[0].flags & session_flag::kReassemblyLimit);
  EXPECT_EQ(free[0].missed_bytes, 0u);
}

}  // namespace
}  // namespace pcapscope

// The protocol stage over the session stage: service identification by
// content on any port (HTTP, TLS, SSH, DNS), the port-mismatch mark, and the
// records each analyzer emits.
//
// Frames are built with tools/packet_builder.h, decoded and run through a
// SessionTable whose observer is a ProtocolStage; conn records come out of
// the stage with `service` filled.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "../../tools/packet_builder.h"
#include "pcapscope/capture.h"
#include "pcapscope/decode.h"
#include "pcapscope/proto.h"
#include "pcapscope/session.h"
#include "proto/tls/fingerprints.h"

namespace pcapscope {
namespace {

using tools::Frame;

constexpr std::uint8_t kSyn = tools::tcpf::kSyn, kAck = tools::tcpf::kAck, kPsh = tools::tcpf::kPsh,
                       kFin = tools::tcpf::kFin;
constexpr tools::Mac kMacC{0x02, 0, 0, 0, 0, 1}, kMacS{0x02, 0, 0, 0, 0, 2};
constexpr tools::Ip4 kClient{10, 0, 0, 1}, kServer{10, 0, 0, 2};

struct Collector final : ProtocolObserver, SessionObserver {
  std::vector<SessionRecord> conns;
  std::vector<DnsLogRecord> dns;
  std::vector<HttpLogRecord> http;
  std::vector<SslLogRecord> ssl;
  std::vector<SshLogRecord> ssh;
  std::map<std::uint64_t, std::vector<std::pair<std::string, std::string>>> fields;  // frame -> (name, value)
  void on_session_end(const SessionRecord& r) override { conns.push_back(r); }
  void on_dns(const DnsLogRecord& r) override { dns.push_back(r); }
  void on_http(const HttpLogRecord& r) override { http.push_back(r); }
  void on_ssl(const SslLogRecord& r) override { ssl.push_back(r); }
  void on_ssh(const SshLogRecord& r) override { ssh.push_back(r); }
  void on_frame_field(std::uint64_t frame, const FieldDef& f, const FieldValue& v) override {
    fields[frame].emplace_back(std::string(f.name), format_value(f, v));
  }
};

// A capture being built: frames in order, one millisecond apart.
class Capture {
 public:
  void add(Frame f) { frames_.push_back(std::move(f)); }

  // Runs everything through the session and protocol stages.
  Collector run(bool frame_fields = false) {
    Collector c;
    ProtocolOptions po;
    po.frame_fields = frame_fields;
    ProtocolStage stage(po, &c, &c);
    SessionTable table(SessionOptions{}, &stage);
    DecodedPacket dec;
    for (std::size_t i = 0; i < frames_.size(); ++i) {
      Packet p = tools::frame_packet(frames_[i], 1'700'000'000'000'000ull + i * 1000);
      p.frame = i + 1;
      decode(p, dec);
      table.process(dec);
    }
    table.finish();
    return c;
  }

 private:
  std::vector<Frame> frames_;
};

// One TCP conversation: handshake, then data each way with correct sequence numbers.
class Tcp {
 public:
  Tcp(Capture& cap, std::uint16_t cport, std::uint16_t sport, bool handshake = true)
      : cap_(cap), cport_(cport), sport_(sport) {
    if (handshake) {
      cap_.add(c(kSyn, {}));
      cseq_ += 1;
      cap_.add(s(kSyn | kAck, {}));
      sseq_ += 1;
      cap_.add(c(kAck, {}));
    }
  }
  void client(std::string_view data) { send(true, data); }
  void server(std::string_view data) { send(false, data); }
  void close() {
    cap_.add(c(kFin | kAck, {}));
    cseq_ += 1;
    cap_.add(s(kFin | kAck, {}));
    sseq_ += 1;
    cap_.add(c(kAck, {}));
  }

 private:
  void send(bool from_client, std::string_view data) {
    cap_.add(from_client ? c(kPsh | kAck, data) : s(kPsh | kAck, data));
    (from_client ? cseq_ : sseq_) += static_cast<std::uint32_t>(data.size());
  }
  Frame c(std::uint8_t flags, std::string_view data) const {
    tools::TcpSegment seg{cport_, sport_, cseq_, sseq_, flags, 64240, false};
    return tools::ipv4(tools::ethernet(kMacS, kMacC, 0x0800), kClient, kServer, 6, tools::tcp(seg, data));
  }
  Frame s(std::uint8_t flags, std::string_view data) const {
    tools::TcpSegment seg{sport_, cport_, sseq_, cseq_, flags, 64240, false};
    return tools::ipv4(tools::ethernet(kMacC, kMacS, 0x0800), kServer, kClient, 6, tools::tcp(seg, data));
  }

  Capture& cap_;
  std::uint16_t cport_, sport_;
  std::uint32_t cseq_ = 1000, sseq_ = 5000;
};

Frame udp_frame(bool from_client, std::uint16_t cport, std::uint16_t sport, const Frame& payload) {
  if (from_client)
    return tools::ipv4(tools::ethernet(kMacS, kMacC, 0x0800), kClient, kServer, 17, tools::udp(cport, sport, payload));
  return tools::ipv4(tools::ethernet(kMacC, kMacS, 0x0800), kServer, kClient, 17, tools::udp(sport, cport, payload));
}

// A TLS 1.3-style ClientHello record: one cipher suite, SNI and supported_versions.
std::string client_hello(std::string_view sni) {
  std::string ext;
  auto u16 = [](std::string& s, unsigned v) {
    s.push_back(static_cast<char>(v >> 8));
    s.push_back(static_cast<char>(v & 0xff));
  };
  u16(ext, 0);  // server_name
  u16(ext, static_cast<unsigned>(sni.size() + 5));
  u16(ext, static_cast<unsigned>(sni.size() + 3));
  ext.push_back(0);
  u16(ext, static_cast<unsigned>(sni.size()));
  ext += sni;
  u16(ext, 43);  // supported_versions: TLS 1.3
  u16(ext, 3);
  ext.push_back(2);
  u16(ext, 0x0304);
  std::string body;
  u16(body, 0x0303);
  body.append(32, '\x11');  // random
  body.push_back(0);        // session id
  u16(body, 2);
  u16(body, 0x1301);
  body.push_back(1);
  body.push_back(0);
  u16(body, static_cast<unsigned>(ext.size()));
  body += ext;
  std::string hs;
  hs.push_back(1);
  hs.push_back(0);
  u16(hs, static_cast<unsigned>(body.size()));
  hs += body;
  std::string rec = "\x16\x03\x01";
  u16(rec, static_cast<unsigned>(hs.size()));
  return rec + hs;
}

std::string server_hello() {
  std::string body = std::string("\x03\x03", 2) + std::string(32, '\x22') + std::string("\x00\x13\x01\x00\x00\x06\x00\x2b\x00\x02\x03\x04", 12);
  std::string hs = std::string("\x02\x00", 2) + static_cast<char>(body.size() >> 8) + static_cast<char>(body.size() & 0xff) + body;
  return std::string("\x16\x03\x03", 3) + static_cast<char>(hs.size() >> 8) + static_cast<char>(hs.size() & 0xff) + hs;
}

const std::string kGet = "GET /index.html HTTP/1.1\r\nHost: example.org\r\nUser-Agent: test\r\n\r\n";
const std::string kOk = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

bool mismatch(const SessionRecord& r) { return (r.flags & session_flag::kServiceMismatch) != 0; }

TEST(ProtoStage, HttpOnItsPortIsHttpWithoutMismatch) {
  Capture cap;
  Tcp t(cap, 40000, 80);
  t.client(kGet);
  t.server(kOk);
  t.close();
  Collector c = cap.run();
  ASSERT_EQ(c.conns.size(), 1u);
  EXPECT_EQ(c.conns[0].service, "http");
  EXPECT_FALSE(mismatch(c.conns[0]));
  ASSERT_EQ(c.http.size(), 1u);
  EXPECT_EQ(c.http[0].method, "GET");
  EXPECT_EQ(c.http[0].host, "example.org");
  EXPECT_EQ(c.http[0].uri, "/index.html");
  EXPECT_EQ(c.http[0].status_code, 200);
  EXPECT_EQ(c.http[0].response_body_len, 5u);
  EXPECT_EQ(c.http[0].uid_view(), c.conns[0].uid_view());
  EXPECT_EQ(c.http[0].frame, 4u);  // the request's segment
}

TEST(ProtoStage, HttpOnNonStandardPortIsFoundAndMarked) {
  Capture cap;
  Tcp t(cap, 40000, 8081);
  t.client(kGet);
  t.server(kOk);
  t.close();
  Collector c = cap.run();
  ASSERT_EQ(c.conns.size(), 1u);
  EXPECT_EQ(c.conns[0].service, "http");
  EXPECT_TRUE(mismatch(c.conns[0]));
  ASSERT_EQ(c.http.size(), 1u);
  EXPECT_EQ(c.http[0].id.resp_p, 8081);
}

TEST(ProtoStage, HttpCutIntoOneByteSegmentsIsStillFound) {
  Capture cap;
  Tcp t(cap, 40000, 8000);
  for (char ch : kGet) t.client(std::string_view(&ch, 1));
  t.server(kOk);
  t.close();
  Collector c = cap.run();
  ASSERT_EQ(c.conns.size(), 1u);
  EXPECT_EQ(c.conns[0].service, "http");
  EXPECT_FALSE(mismatch(c.conns[0]));  // 8000 is an HTTP port
  ASSERT_EQ(c.http.size(), 1u);
  EXPECT_EQ(c.http[0].uri, "/index.html");
}

TEST(ProtoStage, TlsOnNonStandardPortGivesSslRecordAndFingerprints) {
  Capture cap;
  Tcp t(cap, 40000, 4433);
  const std::string ch = client_hello("c2.example.net");
  t.client(ch);
  t.server(server_hello());
  t.close();
  Collector c = cap.run(/*frame_fields=*/true);
  ASSERT_EQ(c.conns.size(), 1u);
  EXPECT_EQ(c.conns[0].service, "ssl");
  EXPECT_TRUE(mismatch(c.conns[0]));
  ASSERT_EQ(c.ssl.size(), 1u);
  EXPECT_EQ(c.ssl[0].server_name, "c2.example.net");
  EXPECT_EQ(c.ssl[0].version, "TLSv13");
  EXPECT_EQ(c.ssl[0].cipher, "TLS_AES_128_GCM_SHA256");
  // JA3 of this hello: version 771, cipher 4865, extensions 0-43, no groups, no point formats.
  EXPECT_EQ(c.ssl[0].ja3, proto::tls::md5_hex("771,4865,0-43,,"));
  EXPECT_FALSE(c.ssl[0].established);
  // The fields land on the frame that carried the hello (frame 4).
  const auto& f4 = c.fields[4];
  EXPECT_NE(std::find(f4.begin(), f4.end(), std::make_pair(std::string("tls.handshake.extensions_server_name"),
                                                         std::string("c2.example.net"))),
            f4.end());
}

TEST(ProtoStage, SshOn443IsSshAndMarked) {
  Capture cap;
  Tcp t(cap, 40000, 443);
  t.server("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
  t.client("SSH-2.0-PuTTY_Release_0.78\r\n");
  t.close();
  Collector c = cap.run();
  ASSERT_EQ(c.conns.size(), 1u);
  EXPECT_EQ(c.conns[0].service, "ssh");
  EXPECT_TRUE(mismatch(c.conns[0]));
  ASSERT_EQ(c.ssh.size(), 1u);
  EXPECT_EQ(c.ssh[0].client, "SSH-2.0-PuTTY_Release_0.78");
  EXPECT_EQ(c.ssh[0].server, "SSH-2.0-OpenSSH_9.2p1 Debian-2");
  EXPECT_EQ(c.ssh[0].version, 2u);
}

TEST(ProtoStage, SshOn22IsNotMarked) {
  Capture cap;
  Tcp t(cap, 40000, 22);
  t.server("SSH-2.0-OpenSSH_9.2\r\n");
  t.client("SSH-2.0-OpenSSH_9.2\r\n");
  t.close();
  Collector c = cap.run();
  ASSERT_EQ(c.conns.size(), 1u);
  EXPECT_EQ(c.conns[0].service, "ssh");
  EXPECT_FALSE(mismatch(c.conns[0]));
}

// Something that is none of HTTP, TLS, SSH on each of their ports.
class SomethingElse : public ::testing::TestWithParam<std::uint16_t> {};

TEST_P(SomethingElse, OnAWellKnownPortIsMarkedWithoutService) {
  Capture cap;
  Tcp t(cap, 40000, GetParam());
  t.client("\x7f\x45\x4c\x46 binary blob that is not any of ours \x01\x02\x03");
  t.server("ok\n");
  t.close();
  Collector c = cap.run();
  ASSERT_EQ(c.conns.size(), 1u);
  EXPECT_EQ(c.conns[0].service, "");
  EXPECT_TRUE(mismatch(c.conns[0]));
  EXPECT_TRUE(c.http.empty() && c.ssl.empty() && c.ssh.empty());
}
INSTANTIATE_TEST_SUITE_P(Ports, SomethingElse, ::testing::Values(80, 443, 22));

TEST(ProtoStage, MidstreamUnknownBytesOn443AreNotJudged) {
  // No handshake: the capture started mid-conversation, so the first bytes
  // seen are not the stream's start and say nothing about its protocol.
  Capture cap;
  Tcp t(cap, 40000, 443, /*handshake=*/false);
  t.client("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11");
  Collector c = cap.run();
  ASSERT_EQ(c.conns.size(), 1u);
  EXPECT_FALSE(mismatch(c.conns[0]));
}

TEST(ProtoStage, TlsOn443IsNotMarked) {
  Capture cap;
  Tcp t(cap, 40000, 443);
  t.client(client_hello("www.example.com"));
  t.server(server_hello());
  t.close();
  Collector c = cap.run();
  ASSERT_EQ(c.conns.size(), 1u);
  EXPECT_EQ(c.conns[0].service, "ssl");
  EXPECT_FALSE(mismatch(c.conns[0]));
}

TEST(ProtoStage, DnsPairsQueryAndResponseAndKeepsUnanswered) {
  Capture cap;
  const tools::Ip4 addr{93, 184, 216, 34};
  cap.add(udp_frame(true, 53124, 53, tools::dns(0x1a2b, "example.org", nullptr)));
  cap.add(udp_frame(false, 53124, 53, tools::dns(0x1a2b, "example.org", &addr)));
  cap.add(udp_frame(true, 53124, 53, tools::dns(0x0001, "unanswered.example", nullptr)));
  Collector c = cap.run(/*frame_fields=*/true);
  ASSERT_EQ(c.dns.size(), 2u);
  EXPECT_EQ(c.dns[0].query, "example.org");
  EXPECT_EQ(c.dns[0].trans_id, 0x1a2b);
  ASSERT_TRUE(c.dns[0].has_rtt);
  EXPECT_EQ(c.dns[0].rtt_ns, 1'000'000);
  ASSERT_EQ(c.dns[0].answers.size(), 1u);
  EXPECT_EQ(c.dns[0].answers[0], "93.184.216.34");
  EXPECT_EQ(c.dns[0].TTLs[0], 300u);
  EXPECT_TRUE(c.dns[0].has_rcode);
  EXPECT_EQ(c.dns[1].query, "unanswered.example");
  EXPECT_FALSE(c.dns[1].has_rcode);
  EXPECT_FALSE(c.dns[1].has_rtt);
  ASSERT_EQ(c.conns.size(), 1u);
  EXPECT_EQ(c.conns[0].service, "dns");
  EXPECT_FALSE(mismatch(c.conns[0]));
  // dns.a on the response's frame, in tshark's form.
  const auto& f2 = c.fields[2];
  EXPECT_NE(std::find(f2.begin(), f2.end(), std::make_pair(std::string("dns.a"), std::string("93.184.216.34"))),
            f2.end());
}

TEST(ProtoStage, DnsOnAnOddUdpPortIsFoundByContent) {
  Capture cap;
  cap.add(udp_frame(true, 40001, 5300, tools::dns(7, "tunnel.example.com", nullptr)));
  Collector c = cap.run();
  ASSERT_EQ(c.conns.size(), 1u);
  EXPECT_EQ(c.conns[0].service, "dns");
  EXPECT_TRUE(mismatch(c.conns[0]));
  ASSERT_EQ(c.dns.size(), 1u);
}

TEST(ProtoStage, RandomUdpIsNotDnsButGarbageOnPort53IsMarked) {
  Capture cap;
  const Frame junk{0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  cap.add(udp_frame(true, 40002, 5300, junk));
  cap.add(udp_frame(true, 40003, 53, junk));
  Collector c = cap.run();
  ASSERT_EQ(c.conns.size(), 2u);
  for (const SessionRecord& r : c.conns) {
    EXPECT_EQ(r.service, "");
    EXPECT_EQ(mismatch(r), r.resp_p == 53) << r.resp_p;
  }
}

TEST(ProtoStage, StartTlsIsFollowedIntoTls) {
  Capture cap;
  Tcp t(cap, 40000, 25);
  t.server("220 mail.example.com ESMTP\r\n");
  t.client("EHLO client\r\n");
  t.server("250-mail.example.com\r\n250 STARTTLS\r\n");
  t.client("STARTTLS\r\n");
  t.server("220 Ready to start TLS\r\n");
  t.client(client_hello("mail.example.com"));
  t.server(server_hello());
  t.close();
  Collector c = cap.run();
  ASSERT_EQ(c.conns.size(), 1u);
  EXPECT_EQ(c.conns[0].service, "ssl");
  EXPECT_FALSE(mismatch(c.conns[0]));
  ASSERT_EQ(c.ssl.size(), 1u);
  EXPECT_EQ(c.ssl[0].server_name, "mail.example.com");
  EXPECT_EQ(c.ssl[0].cipher, "TLS_AES_128_GCM_SHA256");
}

TEST(ProtoStage, HttpConnectTunnelIsFollowedIntoTls) {
  Capture cap;
  Tcp t(cap, 40000, 3128);
  t.client("CONNECT secret.example.org:443 HTTP/1.1\r\nHost: secret.example.org:443\r\n\r\n");
  t.server("HTTP/1.1 200 Connection established\r\n\r\n");
  t.client(client_hello("secret.example.org"));
  t.server(server_hello());
  t.close();
  Collector c = cap.run();
  ASSERT_EQ(c.conns.size(), 1u);
  EXPECT_EQ(c.conns[0].service, "http,ssl");
  EXPECT_FALSE(mismatch(c.conns[0]));
  ASSERT_EQ(c.http.size(), 1u);
  EXPECT_EQ(c.http[0].method, "CONNECT");
  EXPECT_EQ(c.http[0].status_code, 200);
  ASSERT_EQ(c.ssl.size(), 1u);
  EXPECT_EQ(c.ssl[0].server_name, "secret.example.org");
}

TEST(ProtoStage, PlainHttpInsideAConnectTunnelIsLogged) {
  Capture cap;
  Tcp t(cap, 40000, 8080);
  t.client("CONNECT inner.example:80 HTTP/1.1\r\nHost: inner.example:80\r\n\r\n");
  t.server("HTTP/1.1 200 Connection established\r\n\r\n");
  t.client("GET /inside HTTP/1.1\r\nHost: inner.example\r\n\r\n");
  t.server(kOk);
  t.close();
  Collector c = cap.run();
  // The tunnelled request completes first; CONNECT's record waits for the tunnel to close.
  ASSERT_EQ(c.http.size(), 2u);
  EXPECT_EQ(c.http[0].uri, "/inside");
  EXPECT_EQ(c.http[0].status_code, 200);
  EXPECT_EQ(c.http[1].method, "CONNECT");
  EXPECT_EQ(c.conns[0].service, "http");
}

TEST(ProtoStage, HttpProbeAnsweredBySshBannerGivesBothServices) {
  Capture cap;
  Tcp t(cap, 40000, 22);
  t.client("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  t.server("SSH-2.0-OpenSSH_6.6.1\r\nProtocol mismatch.\r\n");
  t.close();
  Collector c = cap.run();
  ASSERT_EQ(c.conns.size(), 1u);
  EXPECT_EQ(c.conns[0].service, "http,ssh");
  EXPECT_TRUE(mismatch(c.conns[0]));  // the session's first protocol (HTTP) is not 22's
  ASSERT_EQ(c.ssh.size(), 1u);
  EXPECT_EQ(c.ssh[0].server, "SSH-2.0-OpenSSH_6.6.1");
}

TEST(ProtoStage, HttpLongHeaderAndHttp09RequestsAreKept) {
  Capture cap;
  Tcp t(cap, 40000, 80);
  t.client("GET /first HTTP/1.1\r\nHost: a.example\r\nX-Large: " + std::string(20000, 'x') + "\r\n\r\n");
  t.server(kOk);
  t.client("GET /old\r\n");
  t.close();
  Collector c = cap.run();
  ASSERT_EQ(c.http.size(), 2u);
  EXPECT_EQ(c.http[0].uri, "/first");
  EXPECT_EQ(c.http[0].host, "a.example");
  EXPECT_EQ(c.http[1].uri, "/old");
  EXPECT_EQ(c.http[1].version, "0.9");
}

// QUIC: the ClientHello in Initial packets split over several datagrams, out
// of order (suricata-verify's quic-frag capture; tshark shows the same SNI and
// JA3, which corpus_proto_diff checks for every QUIC capture).
TEST(ProtoStage, QuicInitialGivesSslRecord) {
  const auto file = std::filesystem::path(PCAPSCOPE_SHARED_DIR) / "corpus/suricata/quic-frag__input.pcap";
  ASSERT_TRUE(std::filesystem::exists(file)) << "corpus file missing (../shared/corpus is part of the test set-up)";
  auto reader = CaptureReader::open(file.string());
  ASSERT_TRUE(reader);
  Collector c;
  ProtocolStage stage(ProtocolOptions{}, &c, &c);
  SessionTable table(SessionOptions{}, &stage);
  Packet p;
  DecodedPacket dec;
  while ((*reader)->next(p)) {
    decode(p, dec);
    table.process(dec);
  }
  table.finish();
  ASSERT_EQ(c.ssl.size(), 1u);
  EXPECT_EQ(c.ssl[0].server_name, "token.services.mozilla.com");
  EXPECT_EQ(c.ssl[0].version, "TLSv13");
  EXPECT_EQ(c.ssl[0].ja4.substr(0, 4), "q13d");
  EXPECT_TRUE(c.ssl[0].established);
  bool quic_conn = false;
  for (const SessionRecord& r : c.conns) {
    if (r.service == "quic") {
      quic_conn = true;
      EXPECT_FALSE(mismatch(r));
    }
  }
  EXPECT_TRUE(quic_conn);
}

}  // namespace
}  // namespace pcapscope

#include <fmt/format.h>

#include <string>
#include <vector>

#include "detect/detectors.h"
#include "detect_test_support.h"
#include "proto/http/http_parser.h"

namespace pcapscope::detect {
namespace {

using testing::Harness;
using testing::SessionSpec;

constexpr std::int64_t kT0 = 1'700'000'000'000'000'000;

using testing::field;
std::string text(const Alert& a, std::string_view key) {
  const AlertField* f = field(a, key);
  if (!f) return "<missing>";
  if (auto* s = std::get_if<std::string>(&f->value)) return *s;
  return "<not text>";
}

// One TCP session whose client sends lines through Detector::on_packet, with
// a minimal decoded packet: a 20-byte TCP header (sequence number set) and the payload.
struct Client {
  SessionRecord rec;
  std::uint32_t seq = 1000;
  std::uint64_t frame = 3;
  std::int64_t ts_ns = kT0;

  Client(std::uint16_t port, std::string_view uid = "CClear00000000001", std::string_view orig = "10.0.0.5") {
    SessionSpec s;
    s.orig = orig;
    s.resp = "198.51.100.7";
    s.resp_p = port;
    s.uid = uid;
    s.ts_ns = kT0;
    s.first_frame = 1;
    s.last_frame = 40;
    rec = testing::session(s);
  }

  // Sends TEXT from the client at sequence number SEQ (default: the next one).
  void send(Detector& d, std::string_view text, bool from_orig = true, std::int64_t at_seq = -1) {
    std::vector<std::uint8_t> bytes(20, 0);
    const std::uint32_t s = at_seq >= 0 ? static_cast<std::uint32_t>(at_seq) : seq;
    bytes[4] = static_cast<std::uint8_t>(s >> 24);
    bytes[5] = static_cast<std::uint8_t>(s >> 16);
    bytes[6] = static_cast<std::uint8_t>(s >> 8);
    bytes[7] = static_cast<std::uint8_t>(s);
    bytes[12] = 0x50;
    bytes.insert(bytes.end(), text.begin(), text.end());
    Packet p;
    p.data = Bytes(bytes.data(), bytes.size());
    p.ts_ns = ts_ns;
    p.frame = frame;
    DecodedPacket dp;
    dp.packet = &p;
    dp.layers[0].proto = Proto::kFrame;
    dp.layers[0].end = static_cast<std::uint32_t>(bytes.size());
    dp.layers[1].proto = Proto::kTcp;
    dp.layers[1].header_len = 20;
    dp.layers[1].end = static_cast<std::uint32_t>(bytes.size());
    dp.layer_count = 2;
    dp.payload_offset = 20;
    dp.payload_len = static_cast<std::uint32_t>(text.size());
    d.on_packet(rec, dp, from_orig);
    if (at_seq < 0 && from_orig) seq += static_cast<std::uint32_t>(text.size());
    frame += 2;
    ts_ns += 100'000'000;
  }
};

struct ClearRun {
  Harness h{cleartext_settings()};
  std::unique_ptr<Detector> d;
  Detector& det() {
    if (!d) d = make_cleartext_detector(h.context());
    return *d;
  }
  const std::vector<Alert>& finish() {
    det().finish();
    return h.sink.alerts;
  }
};

TEST(DetectCleartext, WantsPackets) {
  ClearRun r;
  EXPECT_TRUE(r.det().wants_packets());
  EXPECT_EQ(r.det().name(), "cleartext");
}

TEST(DetectCleartext, FtpLoginIsHighWithEvidence) {
  ClearRun r;
  Client c(21);
  c.send(r.det(), "USER alice\r\n");
  c.send(r.det(), "PASS s3cret\r\n");  // frame 5
  r.det().on_session(c.rec);
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].detector, "cleartext");
  EXPECT_EQ(a[0].severity, Severity::kHigh);
  EXPECT_EQ(text(a[0], "user"), "alice");
  EXPECT_EQ(text(a[0], "protocol"), "ftp");
  EXPECT_EQ(a[0].src->to_string(), "10.0.0.5");
  EXPECT_EQ(a[0].dst->to_string(), "198.51.100.7");
  EXPECT_EQ(*a[0].dst_port, 21);
  EXPECT_EQ(a[0].uids, std::vector<std::string>{"CClear00000000001"});
  EXPECT_EQ(a[0].frames, (std::vector<std::uint64_t>{1, 5}));
  EXPECT_EQ(a[0].ts_ns, kT0 + 100'000'000);
  EXPECT_EQ(a[0].value, 1);
  EXPECT_EQ(a[0].threshold, 1);
  EXPECT_EQ(a[0].message.find("s3cret"), std::string::npos) << "the password must never be shown";
  EXPECT_NE(a[0].message.find("\"alice\""), std::string::npos) << a[0].message;
}

TEST(DetectCleartext, AnonymousFtpIsNotACredential) {
  ClearRun r;
  Client c(21);
  c.send(r.det(), "USER anonymous\r\n");
  c.send(r.det(), "PASS guest@example.com\r\n");
  r.det().on_session(c.rec);
  EXPECT_TRUE(r.finish().empty());
}

TEST(DetectCleartext, FtpAuthTlsBeforeLoginIsNotCleartext) {
  ClearRun r;
  Client c(21);
  c.send(r.det(), "AUTH TLS\r\n");
  c.send(r.det(), "USER alice\r\nPASS x\r\n");  // would be TLS records in reality
  r.det().on_session(c.rec);
  EXPECT_TRUE(r.finish().empty());
}

TEST(DetectCleartext, UserWithoutPasswordIsNot) {
  ClearRun r;
  Client c(21);
  c.send(r.det(), "USER alice\r\n");
  r.det().on_session(c.rec);
  EXPECT_TRUE(r.finish().empty());
}

TEST(DetectCleartext, Pop3LoginAndStls) {
  ClearRun r;
  Client plain(110, "CClear00000000001");
  plain.send(r.det(), "USER carol\r\nPASS pw\r\n");
  r.det().on_session(plain.rec);
  Client tls(110, "CClear00000000002");
  tls.send(r.det(), "STLS\r\n");
  tls.send(r.det(), "USER carol\r\nPASS pw\r\n");
  r.det().on_session(tls.rec);
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(text(a[0], "protocol"), "pop3");
  EXPECT_EQ(a[0].uids[0], "CClear00000000001");
}

TEST(DetectCleartext, ImapLoginQuotedUser) {
  ClearRun r;
  Client c(143);
  c.send(r.det(), "a1 CAPABILITY\r\n");
  c.send(r.det(), "a2 LOGIN \"bob\" \"hunter2\"\r\n");
  r.det().on_session(c.rec);
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(text(a[0], "user"), "bob");
  EXPECT_EQ(text(a[0], "protocol"), "imap");
  EXPECT_EQ(text(a[0], "mechanism"), "LOGIN");
}

TEST(DetectCleartext, ImapAuthenticatePlainOnTheNextLine) {
  ClearRun r;
  Client c(143);
  c.send(r.det(), "a1 AUTHENTICATE PLAIN\r\n");
  c.send(r.det(), "AGRhdmUAcGFzcw==\r\n");  // "\0dave\0pass"
  r.det().on_session(c.rec);
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(text(a[0], "user"), "dave");
  EXPECT_EQ(text(a[0], "mechanism"), "AUTH PLAIN");
}

TEST(DetectCleartext, ImapStartTlsSessionIsNotCleartext) {
  ClearRun r;
  Client c(143);
  c.send(r.det(), "a1 STARTTLS\r\n");
  c.send(r.det(), "\x16\x03\x01\x02\x00\x01");
  c.rec.service = "ssl";
  r.det().on_session(c.rec);
  EXPECT_TRUE(r.finish().empty());
}

TEST(DetectCleartext, SmtpAuthPlainInitialResponse) {
  ClearRun r;
  Client c(587);
  c.send(r.det(), "EHLO client.example\r\n");
  c.send(r.det(), "AUTH PLAIN AGVyaW4Ac2VjcmV0\r\n");  // "\0erin\0secret"
  r.det().on_session(c.rec);
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(text(a[0], "user"), "erin");
  EXPECT_EQ(text(a[0], "protocol"), "smtp");
  EXPECT_EQ(*a[0].dst_port, 587);
}

TEST(DetectCleartext, SmtpAuthLoginTwoSteps) {
  ClearRun r;
  Client c(25);
  c.send(r.det(), "EHLO x\r\nAUTH LOGIN\r\n");
  c.send(r.det(), "ZnJhbms=\r\n");  // "frank"
  c.send(r.det(), "cGFzcw==\r\n");
  r.det().on_session(c.rec);
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(text(a[0], "user"), "frank");
  EXPECT_EQ(text(a[0], "mechanism"), "AUTH LOGIN");
  EXPECT_EQ(a[0].frames.back(), 7u);  // the password's packet
}

TEST(DetectCleartext, SmtpChallengeResponseAndStartTlsAreNot) {
  ClearRun r;
  Client cram(25, "CClear00000000001");
  cram.send(r.det(), "EHLO x\r\nAUTH CRAM-MD5\r\n");
  cram.send(r.det(), "ZnJhbmsgYjkxM2E2MDJjN2VkYTdhNDk1YjRlNmU3MzM0ZDM4OTA=\r\n");
  r.det().on_session(cram.rec);
  Client tls(25, "CClear00000000002");
  tls.send(r.det(), "EHLO x\r\nSTARTTLS\r\n");
  tls.send(r.det(), "AUTH PLAIN AGVyaW4Ac2VjcmV0\r\n");
  tls.rec.service = "ssl";
  r.det().on_session(tls.rec);
  EXPECT_TRUE(r.finish().empty());
}

TEST(DetectCleartext, SmtpCredentialsBeforeStartTlsStillCount) {
  ClearRun r;
  Client c(25);
  c.send(r.det(), "AUTH PLAIN AGVyaW4Ac2VjcmV0\r\nSTARTTLS\r\n");
  c.rec.service = "ssl";
  r.det().on_session(c.rec);
  EXPECT_EQ(r.finish().size(), 1u);
}

TEST(DetectCleartext, TelnetSessionIsMedium) {
  ClearRun r;
  Client c(23);
  c.rec.orig_bytes = 57;
  c.send(r.det(), "\xff\xfd\x18");
  c.send(r.det(), "r");
  r.det().on_session(c.rec);
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].severity, Severity::kMedium);
  EXPECT_EQ(text(a[0], "protocol"), "telnet");
  EXPECT_EQ(a[0].value, 57);
  EXPECT_EQ(a[0].frames, (std::vector<std::uint64_t>{1, 3}));
}

TEST(DetectCleartext, TelnetPortCarryingSshOrSilentIsNot) {
  ClearRun r;
  Client ssh(23, "CClear00000000001");
  ssh.send(r.det(), "SSH-2.0-OpenSSH_9.2\r\n");
  ssh.rec.service = "ssh";
  r.det().on_session(ssh.rec);
  Client silent(23, "CClear00000000002");
  silent.send(r.det(), "login: ", /*from_orig=*/false);  // only the server spoke
  r.det().on_session(silent.rec);
  EXPECT_TRUE(r.finish().empty());
}

TEST(DetectCleartext, ServerSideLinesAreIgnored) {
  ClearRun r;
  Client c(21);
  c.send(r.det(), "USER alice\r\nPASS x\r\n", /*from_orig=*/false);
  r.det().on_session(c.rec);
  EXPECT_TRUE(r.finish().empty());
}

TEST(DetectCleartext, SplitSegmentsAndRetransmissions) {
  ClearRun r;
  Client c(110);
  c.send(r.det(), "USER gr");
  c.send(r.det(), "ace\r\nPA");
  const std::uint32_t pass_seq = c.seq;
  c.send(r.det(), "SS pw\r\n");
  c.send(r.det(), "SS pw\r\n", true, pass_seq);  // retransmitted
  r.det().on_session(c.rec);
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(text(a[0], "user"), "grace");
  EXPECT_EQ(a[0].value, 1) << "a retransmission is not a second login";
}

TEST(DetectCleartext, ScanBytesSettingLimitsTheInspection) {
  const std::string junk(100, 'x');
  for (const bool small : {false, true}) {
    ClearRun r;
    if (small) r.h.set("cleartext_scan_bytes", "64");
    Client c(21);
    c.send(r.det(), junk + "\r\n");
    c.send(r.det(), "USER alice\r\nPASS x\r\n");
    r.det().on_session(c.rec);
    EXPECT_EQ(r.finish().size(), small ? 0u : 1u) << "scan bytes " << (small ? 64 : 4096);
  }
}

TEST(DetectCleartext, MaxSessionsSettingCapsAndCounts) {
  ClearRun r;
  r.h.set("cleartext_max_sessions", "1");
  Client a(21, "CClear00000000001");
  Client b(21, "CClear00000000002");
  a.send(r.det(), "USER a\r\n");
  b.send(r.det(), "USER b\r\nPASS y\r\n");  // not followed: the cap is full
  a.send(r.det(), "PASS x\r\n");
  r.det().on_session(a.rec);
  r.det().on_session(b.rec);
  const auto& alerts = r.finish();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(text(alerts[0], "user"), "a");
  EXPECT_NE(r.d->stats().find("1 sessions not inspected"), std::string::npos) << r.d->stats();
}

TEST(DetectCleartext, UnprintableUserNamesAreEscaped) {
  ClearRun r;
  Client c(21);
  c.send(r.det(), "USER r\xc3\xa9mi\\\r\nPASS x\r\n");
  r.det().on_session(c.rec);
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(text(a[0], "user"), "r\\xc3\\xa9mi\\x5c");
}

HttpLogRecord http(std::string_view uid, std::string_view user, bool password, std::uint64_t frame) {
  HttpLogRecord r;
  testing::header(r, "10.0.0.5", 40000, "198.51.100.7", 80, Transport::kTcp, kT0 + 5, uid, frame);
  r.method = "GET";
  r.uri = "/admin";
  r.username = user;
  r.password_seen = password;
  r.has_request = true;
  return r;
}

SessionRecord web(std::string_view uid, std::string_view service = "http", std::uint16_t port = 80,
                  std::string_view server = "198.51.100.7", std::string_view client = "10.0.0.5") {
  SessionSpec s;
  s.orig = client;
  s.resp = server;
  s.resp_p = port;
  s.uid = uid;
  s.service = service;
  s.ts_ns = kT0;
  return testing::session(s);
}

TEST(DetectCleartext, HttpBasicAuthIsOneHighAlertPerSession) {
  ClearRun r;
  r.det().on_http(http("CWeb0000000000001", "admin", true, 4));
  r.det().on_http(http("CWeb0000000000001", "admin", true, 8));
  r.det().on_session(web("CWeb0000000000001"));
  r.det().on_session(web("CWeb0000000000002"));  // plain HTTP, no credentials
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 2u);
  const Alert& cred = a[0];
  EXPECT_EQ(cred.severity, Severity::kHigh);
  EXPECT_EQ(text(cred, "user"), "admin");
  EXPECT_EQ(text(cred, "protocol"), "http");
  EXPECT_EQ(cred.value, 2);
  EXPECT_EQ(cred.frames, (std::vector<std::uint64_t>{4, 8}));
  EXPECT_EQ(cred.uids, std::vector<std::string>{"CWeb0000000000001"});
  EXPECT_EQ(*cred.dst_port, 80);
  const Alert& info = a[1];
  EXPECT_EQ(info.severity, Severity::kInfo);
  EXPECT_EQ(info.value, 1) << "the session with credentials is not also in the aggregate";
  EXPECT_EQ(info.uids, std::vector<std::string>{"CWeb0000000000002"});
}

TEST(DetectCleartext, HttpCredentialsWithoutSessionEndAreReportedAtFinish) {
  ClearRun r;
  r.det().on_http(http("CWeb0000000000001", "bob", true, 4));
  r.det().on_http(http("CWeb0000000000003", "", false, 6));  // no credentials
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(text(a[0], "user"), "bob");
}

TEST(DetectCleartext, PlainHttpIsAggregatedPerServerPort) {
  ClearRun r;
  r.det().on_session(web("CWeb0000000000001"));
  r.det().on_session(web("CWeb0000000000002", "http", 80, "198.51.100.7", "10.0.0.9"));
  r.det().on_session(web("CWeb0000000000003"));
  r.det().on_session(web("CWeb0000000000004", "http", 8080));
  r.det().on_session(web("CWeb0000000000005", "ssl"));       // TLS on 80: not plain
  r.det().on_session(web("CWeb0000000000006", "http,ssl"));  // CONNECT tunnel carrying TLS
  r.det().on_session(web("CWeb0000000000007", ""));          // nothing recognised
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 2u);
  const Alert& p80 = *a[0].dst_port == 80 ? a[0] : a[1];
  const Alert& p8080 = *a[0].dst_port == 80 ? a[1] : a[0];
  EXPECT_EQ(p80.severity, Severity::kInfo);
  EXPECT_EQ(p80.value, 3);
  EXPECT_EQ(p80.uid_count, 3u);
  EXPECT_FALSE(p80.src.has_value()) << "two clients";
  EXPECT_EQ(p80.dst->to_string(), "198.51.100.7");
  EXPECT_EQ(p8080.value, 1);
  EXPECT_EQ(p8080.src->to_string(), "10.0.0.5");
  EXPECT_EQ(text(p80, "protocol"), "http");
}

TEST(DetectCleartext, HttpInfoSettingTurnsTheAggregateOff) {
  ClearRun r;
  r.h.set("cleartext_http_info", "false");
  r.det().on_session(web("CWeb0000000000001"));
  r.det().on_http(http("CWeb0000000000002", "admin", true, 4));
  r.det().on_session(web("CWeb0000000000002"));
  const auto& a = r.finish();
  ASSERT_EQ(a.size(), 1u) << "credentials are still reported";
  EXPECT_EQ(a[0].severity, Severity::kHigh);
}

TEST(DetectCleartext, MaxServersSettingCapsTheAggregate) {
  ClearRun r;
  r.h.set("cleartext_max_servers", "1");
  r.det().on_session(web("CWeb0000000000001"));
  r.det().on_session(web("CWeb0000000000002", "http", 80, "198.51.100.8"));
  EXPECT_EQ(r.finish().size(), 1u);
  EXPECT_NE(r.d->stats().find("1 HTTP sessions dropped"), std::string::npos) << r.d->stats();
}

TEST(DetectCleartext, SettingsArePrefixed) {
  for (const auto& s : cleartext_settings()) EXPECT_TRUE(s.name.starts_with("cleartext_")) << s.name;
}

// The HTTP analyzer's part: Authorization: Basic becomes username/password_seen.
TEST(DetectCleartextHttpBasic, ParseBasicAuth) {
  std::string user;
  bool pw = false;
  EXPECT_TRUE(proto::http::parse_basic_auth("Basic YWxhZGRpbjpvcGVuc2VzYW1l", user, pw));
  EXPECT_EQ(user, "aladdin");
  EXPECT_TRUE(pw);
  EXPECT_TRUE(proto::http::parse_basic_auth("basic   dXNlcg", user, pw));  // padding left out
  EXPECT_EQ(user, "user");
  EXPECT_FALSE(pw);
  EXPECT_FALSE(proto::http::parse_basic_auth("Bearer abc.def", user, pw));
  EXPECT_FALSE(proto::http::parse_basic_auth("Basic !!!!", user, pw));
  EXPECT_FALSE(proto::http::parse_basic_auth("Basic " + std::string(2000, 'A'), user, pw));
  EXPECT_TRUE(proto::http::parse_basic_auth("Basic " + std::string(400, 'Q'), user, pw));
  EXPECT_LE(user.size(), proto::http::kMaxUsername);
}

TEST(DetectCleartextHttpBasic, ConversationFillsTheTransaction) {
  std::vector<proto::http::Transaction> out;
  proto::http::HttpConversation conv([&](const proto::http::Transaction& t) { out.push_back(t); },
                                     [](std::string_view) {});
  const std::string req =
      "GET /admin HTTP/1.1\r\nHost: x\r\nAuthorization: Basic YWRtaW46cGFzc3dvcmQ=\r\n\r\n"
      "GET /other HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  conv.requests().on_data(0, Bytes(reinterpret_cast<const std::uint8_t*>(req.data()), req.size()));
  conv.responses().on_data(0, Bytes(reinterpret_cast<const std::uint8_t*>(resp.data()), resp.size()));
  conv.on_close();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].username, "admin");
  EXPECT_TRUE(out[0].password_seen);
  EXPECT_EQ(out[1].username, "");
  EXPECT_FALSE(out[1].password_seen);
}

}  // namespace
}  // namespace pcapscope::detect

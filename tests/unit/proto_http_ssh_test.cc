// HTTP/1.x and SSH stream parsers: inline streams, every test also fed in
// 1-byte segments where segmentation matters, plus one SSH corpus capture.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "pcapscope/capture.h"
#include "pcapscope/decode.h"
#include "proto/http/http_parser.h"
#include "proto/ssh/ssh_parser.h"

namespace pcapscope {
namespace {

using proto::http::HttpConversation;
using proto::http::Transaction;

Bytes as_bytes(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

struct HttpRun {
  std::vector<Transaction> tx;
  std::vector<std::string> problems;
  HttpConversation conv{[this](const Transaction& t) { tx.push_back(t); },
                        [this](std::string_view p) { problems.emplace_back(p); }};
  std::uint64_t req_off = 0, resp_off = 0;
  void req(std::string_view s, std::size_t chunk = 0) { feed(conv.requests(), req_off, s, chunk); }
  void resp(std::string_view s, std::size_t chunk = 0) { feed(conv.responses(), resp_off, s, chunk); }
  static void feed(proto::http::HttpParser& p, std::uint64_t& off, std::string_view s, std::size_t chunk) {
    if (chunk == 0) chunk = s.size();
    for (std::size_t i = 0; i < s.size(); i += chunk) {
      std::string_view part = s.substr(i, chunk);
      p.on_data(off, as_bytes(part));
      off += part.size();
    }
  }
  bool has_problem(std::string_view p) const {
    for (const auto& x : problems)
      if (x == p) return true;
    return false;
  }
};

constexpr std::string_view kGet =
    "GET /index.html HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/8.0\r\nReferer: http://a/\r\n\r\n";
constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello";

TEST(HttpParser, SimpleGet200) {
  for (std::size_t chunk : {std::size_t{0}, std::size_t{1}}) {
    HttpRun r;
    r.req(kGet, chunk);
    r.resp(kOk, chunk);
    ASSERT_EQ(r.tx.size(), 1u);
    const Transaction& t = r.tx[0];
    EXPECT_EQ(t.trans_depth, 1u);
    EXPECT_EQ(t.method, "GET");
    EXPECT_EQ(t.host, "example.com");
    EXPECT_EQ(t.uri, "/index.html");
    EXPECT_EQ(t.referrer, "http://a/");
    EXPECT_EQ(t.version, "1.1");
    EXPECT_EQ(t.user_agent, "curl/8.0");
    EXPECT_EQ(t.status_code, 200);
    EXPECT_EQ(t.status_msg, "OK");
    EXPECT_EQ(t.response_body_len, 5u);
    EXPECT_EQ(t.response_content_type, "text/html");
    EXPECT_TRUE(r.problems.empty());
  }
}

TEST(HttpParser, PipelinedRequestsWithBodies) {
  for (std::size_t chunk : {std::size_t{0}, std::size_t{1}}) {
    HttpRun r;
    r.req(std::string("POST /a HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc") +
              "GET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.0\r\n\r\n",
          chunk);
    r.resp(std::string("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok") +
               "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
           chunk);
    ASSERT_EQ(r.tx.size(), 3u);
    EXPECT_EQ(r.tx[0].uri, "/a");
    EXPECT_EQ(r.tx[0].request_body_len, 3u);
    EXPECT_EQ(r.tx[0].request_content_type, "text/plain");
    EXPECT_EQ(r.tx[0].status_code, 201);
    EXPECT_EQ(r.tx[1].uri, "/b");
    EXPECT_EQ(r.tx[1].trans_depth, 2u);
    EXPECT_EQ(r.tx[1].status_code, 404);
    EXPECT_EQ(r.tx[2].trans_depth, 3u);
    EXPECT_EQ(r.tx[2].version, "1.0");
    EXPECT_EQ(r.tx[2].response_body_len, 1u);
  }
}

TEST(HttpParser, ChunkedWithExtensionsAndTrailers) {
  for (std::size_t chunk : {std::size_t{0}, std::size_t{1}}) {
    HttpRun r;
    r.req(kGet, chunk);
    r.resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n"
           "5;name=val\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\n"
           "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
           chunk);
    r.req(kGet, chunk);
    ASSERT_EQ(r.tx.size(), 2u);
    EXPECT_EQ(r.tx[0].response_body_len, 15u);
    EXPECT_EQ(r.tx[1].status_code, 200);
    EXPECT_TRUE(r.problems.empty());
  }
}

TEST(HttpParser, BadChunkSize) {
  HttpRun r;
  r.req(kGet);
  r.resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
  EXPECT_TRUE(r.has_problem("http_bad_chunk_size"));
  ASSERT_EQ(r.tx.size(), 1u);
}

TEST(HttpParser, HeadAnd304And204HaveNoBody) {
  HttpRun r;
  r.req("HEAD / HTTP/1.1\r\nHost: h\r\n\r\nGET /x HTTP/1.1\r\n\r\nGET /y HTTP/1.1\r\n\r\nGET /z HTTP/1.1\r\n\r\n");
  r.resp("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
         "HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n"
         "HTTP/1.1 204 No Content\r\n\r\n"
         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
  ASSERT_EQ(r.tx.size(), 4u);
  EXPECT_EQ(r.tx[0].method, "HEAD");
  EXPECT_EQ(r.tx[0].response_body_len, 0u);
  EXPECT_EQ(r.tx[1].status_code, 304);
  EXPECT_EQ(r.tx[2].status_code, 204);
  EXPECT_EQ(r.tx[3].response_body_len, 2u);
  EXPECT_TRUE(r.problems.empty());
}

TEST(HttpParser, HundredContinue) {
  for (std::size_t chunk : {std::size_t{0}, std::size_t{1}}) {
    HttpRun r;
    r.req("PUT /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", chunk);
    r.resp("HTTP/1.1 100 Continue\r\n\r\n", chunk);
    r.req("data", chunk);
    r.resp("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", chunk);
    ASSERT_EQ(r.tx.size(), 1u);
    EXPECT_EQ(r.tx[0].status_code, 200);
    EXPECT_TRUE(r.tx[0].saw_continue);
    EXPECT_EQ(r.tx[0].request_body_len, 4u);
  }
}

TEST(HttpParser, HeaderNamesCaseInsensitive) {
  HttpRun r;
  r.req("GET / HTTP/1.1\r\nHOST: up.example\r\nuser-AGENT: ua\r\ncontent-length: 2\r\n\r\nab");
  r.resp("HTTP/1.1 200 OK\r\ncOnTeNt-LeNgTh: 1\r\n\r\nz");
  ASSERT_EQ(r.tx.size(), 1u);
  EXPECT_EQ(r.tx[0].host, "up.example");
  EXPECT_EQ(r.tx[0].user_agent, "ua");
  EXPECT_EQ(r.tx[0].request_body_len, 2u);
  EXPECT_EQ(r.tx[0].response_body_len, 1u);
}

TEST(HttpParser, BodyUntilClose) {
  for (std::size_t chunk : {std::size_t{0}, std::size_t{1}}) {
    HttpRun r;
    r.req(kGet, chunk);
    r.resp("HTTP/1.0 200 OK\r\nConnection: close\r\n\r\nsome body bytes", chunk);
    EXPECT_TRUE(r.tx.empty());
    r.conv.on_close();
    ASSERT_EQ(r.tx.size(), 1u);
    EXPECT_EQ(r.tx[0].response_body_len, 15u);
  }
}

TEST(HttpParser, GarbageThenValidRequest) {
  for (std::size_t chunk : {std::size_t{0}, std::size_t{1}}) {
    HttpRun r;
    r.req(std::string("\x16\x03\x01 junk\r\nmore junk\n") + std::string(kGet), chunk);
    r.resp(kOk, chunk);
    ASSERT_EQ(r.tx.size(), 1u);
    EXPECT_EQ(r.tx[0].uri, "/index.html");
    EXPECT_TRUE(r.has_problem("http_garbage"));
  }
}

TEST(HttpParser, LineTooLong) {
  HttpRun r;
  r.req("GET /" + std::string(10000, 'a') + " HTTP/1.1\r\n\r\n");
  EXPECT_TRUE(r.has_problem("http_line_too_long"));
  r.req(kGet);
  r.resp(kOk);
  ASSERT_EQ(r.tx.size(), 1u);
  EXPECT_EQ(r.tx[0].uri, "/index.html");
}

TEST(HttpParser, TooManyHeaders) {
  HttpRun r;
  std::string req = "GET /many HTTP/1.1\r\n";
  for (int i = 0; i < 150; ++i) req += "X-H: v\r\n";
  r.req(req + "\r\n");
  EXPECT_TRUE(r.has_problem("http_too_many_headers"));
  r.req(kGet);
  r.resp(kOk);
  ASSERT_EQ(r.tx.size(), 1u);
  EXPECT_EQ(r.tx[0].uri, "/index.html");
}

TEST(HttpParser, GapInBodyReducesCount) {
  HttpRun r;
  r.req(kGet);
  r.resp("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  r.conv.responses().on_gap(r.resp_off, 4);
  r.resp_off += 4;
  r.resp("def");
  ASSERT_EQ(r.tx.size(), 1u);
  EXPECT_EQ(r.tx[0].response_body_len, 6u);
  EXPECT_TRUE(r.tx[0].body_gap);
  EXPECT_TRUE(r.has_problem("http_body_gap"));
}

TEST(HttpParser, GapByOffsetJump) {
  HttpRun r;
  r.req(kGet);
  r.resp("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  r.resp_off += 4;  // next segment starts 4 bytes later: implicit gap
  r.resp("def");
  ASSERT_EQ(r.tx.size(), 1u);
  EXPECT_EQ(r.tx[0].response_body_len, 6u);
  EXPECT_TRUE(r.tx[0].body_gap);
}

TEST(HttpParser, GapInHeadersResyncs) {
  HttpRun r;
  r.req("GET /lost HTTP/1.1\r\nHost: a\r\nUser-Ag");
  r.conv.requests().on_gap(r.req_off, 20);
  r.req_off += 20;
  r.req(std::string("ent: x\r\n\r\n") + std::string(kGet));
  r.resp(kOk);
  EXPECT_TRUE(r.has_problem("http_gap_in_headers"));
  ASSERT_EQ(r.tx.size(), 1u);
  EXPECT_EQ(r.tx[0].uri, "/index.html");
}

// Deterministic pseudo-random input in random segments with gaps: nothing may
// crash or read out of bounds (run under ASan in the sanitizer build).
TEST(HttpParser, RandomInputNeverBreaks) {
  std::uint32_t seed = 12345;
  auto next = [&seed] { return seed = seed * 1103515245u + 12345u; };
  std::string alphabet = "GET / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n0123456789abcdef;:";
  for (int round = 0; round < 50; ++round) {
    HttpRun r;
    std::string s;
    for (int i = 0; i < 2000; ++i) s.push_back(alphabet[(next() >> 8) % alphabet.size()]);
    std::size_t i = 0;
    while (i < s.size()) {
      std::size_t n = 1 + (next() >> 8) % 64;
      std::string_view part = std::string_view(s).substr(i, n);
      if ((next() >> 8) % 10 == 0) r.req_off += 3;  // gap
      r.req(part);
      r.resp(part);
      i += part.size();
    }
    r.conv.on_close();
    SUCCEED();
  }
}

// ---- SSH ----

using proto::ssh::SshParser;

void feed_ssh(SshParser& p, std::string_view s, std::size_t chunk = 0) {
  if (chunk == 0) chunk = s.size();
  for (std::size_t i = 0; i < s.size(); i += chunk) p.on_data(i, as_bytes(s.substr(i, chunk)));
}

void put32(std::string& s, std::uint32_t v) {
  for (int sh = 24; sh >= 0; sh -= 8) s.push_back(static_cast<char>((v >> sh) & 0xff));
}

// Wraps PAYLOAD in an unencrypted binary packet with 4-byte-aligned padding.
std::string ssh_packet(const std::string& payload) {
  std::size_t pad = 8 - ((5 + payload.size()) % 8);
  if (pad < 4) pad += 8;
  std::string out;
  put32(out, static_cast<std::uint32_t>(1 + payload.size() + pad));
  out.push_back(static_cast<char>(pad));
  out += payload;
  out.append(pad, '\0');
  return out;
}

std::string kexinit_payload() {
  std::string p(1, '\x14');
  for (int i = 0; i < 16; ++i) p.push_back(static_cast<char>(i));
  for (std::string_view l : {"curve25519-sha256,diffie-hellman-group14-sha256", "ssh-ed25519", "aes128-ctr",
                             "aes256-ctr", "hmac-sha2-256", "hmac-sha2-512", "none", "none,zlib", "", ""}) {
    put32(p, static_cast<std::uint32_t>(l.size()));
    p += l;
  }
  p.push_back('\0');
  put32(p, 0);
  return p;
}

TEST(SshParser, ClientBanner) {
  SshParser p(false);
  feed_ssh(p, "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", 1);
  EXPECT_TRUE(p.banner_seen());
  EXPECT_EQ(p.protocol_version(), "2.0");
  EXPECT_EQ(p.software(), "OpenSSH_9.2p1");
  EXPECT_EQ(p.comments(), "Debian-2");
  EXPECT_FALSE(p.failed());
}

TEST(SshParser, ServerBannerAfterOtherLines) {
  SshParser p(true);
  feed_ssh(p, "Welcome\r\nsecond line\nSSH-1.99-srv\n", 1);
  EXPECT_TRUE(p.banner_seen());
  EXPECT_EQ(p.protocol_version(), "1.99");
  EXPECT_EQ(p.software(), "srv");
  ASSERT_EQ(p.pre_banner_lines().size(), 2u);
  EXPECT_EQ(p.pre_banner_lines()[1], "second line");
}

TEST(SshParser, BadBanners) {
  SshParser client(false);
  feed_ssh(client, "hello\r\nSSH-2.0-x\r\n");
  EXPECT_TRUE(client.failed());
  EXPECT_FALSE(client.banner_seen());
  SshParser nosoft(false);
  feed_ssh(nosoft, "SSH-2.0-\r\n");
  EXPECT_TRUE(nosoft.failed());
  SshParser longline(true);
  feed_ssh(longline, std::string(300, 'x'), 1);
  EXPECT_TRUE(longline.failed());
  ASSERT_FALSE(longline.problems().empty());
  EXPECT_EQ(longline.problems()[0], "ssh_banner_too_long");
}

TEST(SshParser, KexinitFromBytesAndEncryptedSizes) {
  for (std::size_t chunk : {std::size_t{0}, std::size_t{1}}) {
    SshParser p(false);
    std::string s = "SSH-2.0-test\r\n" + ssh_packet(kexinit_payload()) + ssh_packet(std::string(1, '\x15'));
    feed_ssh(p, s, chunk);
    ASSERT_TRUE(p.kexinit().has_value());
    const auto& k = *p.kexinit();
    EXPECT_EQ(k.cookie[15], 15);
    ASSERT_EQ(k.kex.size(), 2u);
    EXPECT_EQ(k.kex[1], "diffie-hellman-group14-sha256");
    EXPECT_EQ(k.host_key, std::vector<std::string>{"ssh-ed25519"});
    EXPECT_EQ(k.cipher_s2c, std::vector<std::string>{"aes256-ctr"});
    EXPECT_EQ(k.mac_c2s, std::vector<std::string>{"hmac-sha2-256"});
    EXPECT_EQ(k.compression_s2c, (std::vector<std::string>{"none", "zlib"}));
    EXPECT_TRUE(k.languages_c2s.empty());
    EXPECT_TRUE(p.newkeys_seen());
    EXPECT_EQ(p.packets(), 2u);
    for (int i = 0; i < 100; ++i) p.on_data(s.size() + static_cast<std::size_t>(i) * 36, as_bytes(std::string(36, 'e')));
    EXPECT_EQ(p.encrypted_sizes().size(), proto::ssh::kMaxEncryptedSizes);
    EXPECT_EQ(p.encrypted_sizes()[0], 36u);
  }
}

TEST(SshParser, TruncatedKexinitRejected) {
  std::string k = kexinit_payload();
  for (std::size_t n = 0; n + 1 < k.size(); ++n)
    EXPECT_FALSE(proto::ssh::parse_kexinit(as_bytes(std::string_view(k).substr(0, n))).has_value()) << n;
  EXPECT_TRUE(proto::ssh::parse_kexinit(as_bytes(k)).has_value());
}

// scapy/test__pcaps__ssh_ed25519.pcap; expected values per `tshark -r FILE -Y ssh -T fields
// -e ssh.protocol -e ssh.kex_algorithms -e ssh.server_host_key_algorithms`.
TEST(SshParser, CorpusEd25519Capture) {
  std::filesystem::path file =
      std::filesystem::path(PCAPSCOPE_SHARED_DIR) / "corpus" / "scapy/test__pcaps__ssh_ed25519.pcap";
  ASSERT_TRUE(std::filesystem::exists(file)) << "corpus file missing (../shared/corpus is part of the test set-up): " << file;
  auto r = CaptureReader::open(file.string());
  ASSERT_TRUE(r.ok()) << r.error().message;
  SshParser client(false), server(true);
  std::uint64_t coff = 0, soff = 0;
  Packet pkt;
  DecodedPacket d;
  while ((*r)->next(pkt)) {
    decode(pkt, d);
    const Layer* tcp = d.find(Proto::kTcp);
    if (!tcp || d.payload_len == 0 || tcp->header_len < 4) continue;
    bool from_client = load_be16(d.data().data() + tcp->offset) == 60130;
    if (from_client) {
      client.on_data(coff, d.payload());
      coff += d.payload_len;
    } else {
      server.on_data(soff, d.payload());
      soff += d.payload_len;
    }
  }
  EXPECT_EQ(client.software(), "OpenSSH_9.2p1");
  EXPECT_EQ(server.comments(), "Debian-2+deb12u1");
  ASSERT_TRUE(client.kexinit().has_value());
  ASSERT_TRUE(server.kexinit().has_value());
  EXPECT_EQ(client.kexinit()->kex.size(), 11u);
  EXPECT_EQ(client.kexinit()->kex.front(), "sntrup761x25519-sha512@openssh.com");
  EXPECT_EQ(client.kexinit()->kex.back(), "ext-info-c");
  EXPECT_EQ(server.kexinit()->kex.size(), 10u);
  EXPECT_EQ(server.kexinit()->host_key,
            (std::vector<std::string>{"rsa-sha2-512", "rsa-sha2-256", "ecdsa-sha2-nistp256", "ssh-ed25519"}));
  EXPECT_EQ(server.kexinit()->cipher_c2s.front(), "chacha20-poly1305@openssh.com");
  EXPECT_TRUE(client.newkeys_seen());
  EXPECT_TRUE(server.newkeys_seen());
  // Sizes after each side's NEWKEYS: client frames 15, 19, 22 (tshark tcp.len); the server's
  // NEWKEYS sits inside frame 11 and its last 316 bytes are already encrypted, then frames 17, 20.
  ASSERT_GE(client.encrypted_sizes().size(), 3u);
  EXPECT_EQ(std::vector<std::uint32_t>(client.encrypted_sizes().begin(), client.encrypted_sizes().begin() + 3),
            (std::vector<std::uint32_t>{44, 60, 148}));
  ASSERT_GE(server.encrypted_sizes().size(), 3u);
  EXPECT_EQ(std::vector<std::uint32_t>(server.encrypted_sizes().begin(), server.encrypted_sizes().begin() + 3),
            (std::vector<std::uint32_t>{316, 44, 52}));
  EXPECT_TRUE(client.problems().empty());
  EXPECT_TRUE(server.problems().empty());
}

}  // namespace
}  // namespace pcapscope

// Protocol record writers: exact lines per format, unset handling, and the
// escaping of hostile strings (tabs, commas, newlines, bytes that are not
// UTF-8, values that read as Zeek's placeholders).
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "output/proto_writer.h"

namespace pcapscope {
namespace {

constexpr std::int64_t kTs = 1700000000123456789;  // 2023-11-14T22:13:20.123456789Z

IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
  IpAddress ip;
  ip.bytes = {a, b, c, d};
  return ip;
}

void header(RecordHeader& h, Transport proto, std::uint16_t resp_p) {
  h.ts_ns = kTs;
  const std::string uid = "CAbc123";
  std::copy(uid.begin(), uid.end(), h.uid.begin());
  h.id.orig_h = v4(10, 0, 0, 23);
  h.id.orig_p = 53124;
  h.id.resp_h = v4(10, 0, 0, 53);
  h.id.resp_p = resp_p;
  h.id.proto = proto;
  h.frame = 2;
}

DnsLogRecord answered() {
  DnsLogRecord r;
  header(r, Transport::kUdp, 53);
  r.trans_id = 6699;
  r.has_rtt = true;
  r.rtt_ns = 15'000'000;
  r.has_query = true;
  r.query = "example.org";
  r.qclass = 1;
  r.qtype = 1;
  r.has_rcode = true;
  r.RD = r.RA = true;
  r.answers = {"93.184.216.34", "example.net"};
  r.TTLs = {300, 60};
  return r;
}

DnsLogRecord query_only() {
  DnsLogRecord r;
  header(r, Transport::kUdp, 53);
  r.trans_id = 1911;
  r.has_query = true;
  r.query = "update.example.net";
  r.qclass = 1;
  r.qtype = 28;
  r.RD = true;
  return r;
}

HttpLogRecord hostile_http() {
  HttpLogRecord r;
  header(r, Transport::kTcp, 80);
  r.trans_depth = 1;
  r.method = "GET";
  r.host = "-";                 // reads as Zeek's unset placeholder
  r.uri = "/a\tb,c\\d\"e";      // tab, comma, backslash, quote
  r.version = "1.1";
  r.user_agent = "x\ny\xff\xc3\xa9";  // newline, a stray byte, then a valid "é"
  r.response_body_len = 12;
  r.status_code = 200;
  r.status_msg = "OK";
  r.response_content_type = "text/plain";
  r.has_request = r.has_response = true;
  return r;
}

template <class R>
std::vector<std::string> lines(ProtoLog log, RecordFormat format, const std::vector<R>& records) {
  ProtoWriterOptions opt;
  opt.format = format;
  opt.open_ts_ns = kTs;
  auto w = make_proto_writer(log, opt);
  std::string out;
  w->begin(out);
  for (const R& r : records) w->write(r, out);
  w->end(out);
  std::vector<std::string> v;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

TEST(ProtoWriter, DnsZeek) {
  auto l = lines(ProtoLog::kDns, RecordFormat::kZeek, std::vector{answered(), query_only()});
  ASSERT_EQ(l.size(), 11u);
  EXPECT_EQ(l[0], "#separator \\x09");
  EXPECT_EQ(l[4], "#path\tdns");
  EXPECT_EQ(l[5], "#open\t2023-11-14-22-13-20");
  EXPECT_EQ(l[6],
            "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\ttrans_id\trtt\tquery\tqclass\t"
            "qclass_name\tqtype\tqtype_name\trcode\trcode_name\tAA\tTC\tRD\tRA\tZ\tanswers\tTTLs\trejected");
  EXPECT_EQ(l[7],
            "#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tcount\tinterval\tstring\tcount\tstring\tcount\t"
            "string\tcount\tstring\tbool\tbool\tbool\tbool\tcount\tvector[string]\tvector[interval]\tbool");
  EXPECT_EQ(l[8],
            "1700000000.123457\tCAbc123\t10.0.0.23\t53124\t10.0.0.53\t53\tudp\t6699\t0.015000\texample.org\t1\t"
            "C_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t93.184.216.34,example.net\t300.000000,60.000000\tF");
  EXPECT_EQ(l[9],
            "1700000000.123457\tCAbc123\t10.0.0.23\t53124\t10.0.0.53\t53\tudp\t1911\t-\tupdate.example.net\t1\t"
            "C_INTERNET\t28\tAAAA\t-\t-\tF\tF\tT\tF\t0\t-\t-\tF");
  EXPECT_EQ(l[10], "#close\t2023-11-14-22-13-20");
}

TEST(ProtoWriter, DnsJson) {
  auto l = lines(ProtoLog::kDns, RecordFormat::kJson, std::vector{answered(), query_only()});
  ASSERT_EQ(l.size(), 2u);
  EXPECT_EQ(l[0],
            "{\"ts\":1700000000.123457,\"uid\":\"CAbc123\",\"id.orig_h\":\"10.0.0.23\",\"id.orig_p\":53124,"
            "\"id.resp_h\":\"10.0.0.53\",\"id.resp_p\":53,\"proto\":\"udp\",\"trans_id\":6699,\"rtt\":0.015000,"
            "\"query\":\"example.org\",\"qclass\":1,\"qclass_name\":\"C_INTERNET\",\"qtype\":1,\"qtype_name\":\"A\","
            "\"rcode\":0,\"rcode_name\":\"NOERROR\",\"AA\":false,\"TC\":false,\"RD\":true,\"RA\":true,\"Z\":0,"
            "\"answers\":[\"93.184.216.34\",\"example.net\"],\"TTLs\":[300.000000,60.000000],\"rejected\":false}");
  // Unset fields are left out, as Zeek's JSON writer does.
  EXPECT_EQ(l[1],
            "{\"ts\":1700000000.123457,\"uid\":\"CAbc123\",\"id.orig_h\":\"10.0.0.23\",\"id.orig_p\":53124,"
            "\"id.resp_h\":\"10.0.0.53\",\"id.resp_p\":53,\"proto\":\"udp\",\"trans_id\":1911,"
            "\"query\":\"update.example.net\",\"qclass\":1,\"qclass_name\":\"C_INTERNET\",\"qtype\":28,"
            "\"qtype_name\":\"AAAA\",\"AA\":false,\"TC\":false,\"RD\":true,\"RA\":false,\"Z\":0,\"rejected\":false}");
}

TEST(ProtoWriter, DnsCsv) {
  auto l = lines(ProtoLog::kDns, RecordFormat::kCsv, std::vector{answered(), query_only()});
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0],
            "ts,uid,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,trans_id,rtt,query,qclass,qclass_name,qtype,"
            "qtype_name,rcode,rcode_name,AA,TC,RD,RA,Z,answers,TTLs,rejected");
  EXPECT_EQ(l[1],
            "1700000000.123457,CAbc123,10.0.0.23,53124,10.0.0.53,53,udp,6699,0.015000,example.org,1,C_INTERNET,1,A,0,"
            "NOERROR,F,F,T,T,0,\"93.184.216.34,example.net\",\"300.000000,60.000000\",F");
  EXPECT_EQ(l[2],
            "1700000000.123457,CAbc123,10.0.0.23,53124,10.0.0.53,53,udp,1911,,update.example.net,1,C_INTERNET,28,"
            "AAAA,,,F,F,T,F,0,,,F");
}

TEST(ProtoWriter, DnsText) {
  auto l = lines(ProtoLog::kDns, RecordFormat::kText, std::vector{answered(), query_only()});
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0],
            "ts                          uid                orig                       resp                    proto "
            "query                            qtype_name rcode_name       rtt answers");
  EXPECT_EQ(l[1],
            "2023-11-14T22:13:20.123456Z CAbc123            10.0.0.23:53124         -> 10.0.0.53:53            udp   "
            "example.org                      A          NOERROR     0.015000 93.184.216.34,example.net");
  EXPECT_EQ(l[2],
            "2023-11-14T22:13:20.123456Z CAbc123            10.0.0.23:53124         -> 10.0.0.53:53            udp   "
            "update.example.net               AAAA       -                  - -");
}

TEST(ProtoWriter, DnsNamesForUnknownNumbersAreZeeks) {
  DnsLogRecord r = answered();
  r.qtype = 65000;
  r.qclass = 0x8001;  // mDNS's unicast-response bit
  r.rcode = 11;
  r.answers.clear();
  r.TTLs.clear();
  r.rejected = true;
  auto l = lines(ProtoLog::kDns, RecordFormat::kZeek, std::vector{r});
  EXPECT_EQ(l[8],
            "1700000000.123457\tCAbc123\t10.0.0.23\t53124\t10.0.0.53\t53\tudp\t6699\t0.015000\texample.org\t32769\t"
            "qclass-32769\t65000\tquery-65000\t11\tunassigned-11\tF\tF\tT\tT\t0\t-\t-\tT");
  r.rcode = 30;
  l = lines(ProtoLog::kDns, RecordFormat::kJson, std::vector{r});
  EXPECT_NE(l[0].find("\"rcode\":30,\"rcode_name\":\"rcode-30\""), std::string::npos) << l[0];
}

TEST(ProtoWriter, ZeekEscapesSetElementsAndPlaceholders) {
  DnsLogRecord r = answered();
  r.query = "(empty)";
  r.answers = {"TXT 3 a,b", "", "tab\there"};
  r.TTLs = {1, 2, 3};
  auto l = lines(ProtoLog::kDns, RecordFormat::kZeek, std::vector{r});
  EXPECT_NE(l[8].find("\t\\x28empty)\t"), std::string::npos) << l[8];
  EXPECT_NE(l[8].find("\tTXT 3 a\\x2cb,(empty),tab\\x09here\t1.000000,2.000000,3.000000\t"), std::string::npos) << l[8];
  // A query that is an empty name (the root) is set but empty.
  r.query.clear();
  l = lines(ProtoLog::kDns, RecordFormat::kZeek, std::vector{r});
  EXPECT_NE(l[8].find("\t0.015000\t(empty)\t1\t"), std::string::npos) << l[8];
}

TEST(ProtoWriter, HttpEscapingPerFormat) {
  const std::vector recs{hostile_http()};
  auto z = lines(ProtoLog::kHttp, RecordFormat::kZeek, recs);
  ASSERT_EQ(z.size(), 10u);
  EXPECT_EQ(z[4], "#path\thttp");
  EXPECT_EQ(z[6],
            "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\ttrans_depth\tmethod\thost\turi\treferrer\t"
            "version\tuser_agent\trequest_body_len\tresponse_body_len\tstatus_code\tstatus_msg\t"
            "request_content_type\tresponse_content_type");
  EXPECT_EQ(z[7],
            "#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tstring\tstring\tstring\tstring\tstring\tstring\t"
            "count\tcount\tcount\tstring\tstring\tstring");
  EXPECT_EQ(z[8],
            "1700000000.123457\tCAbc123\t10.0.0.23\t53124\t10.0.0.53\t80\t1\tGET\t\\x2d\t/a\\x09b,c\\x5cd\"e\t-\t1.1\t"
            "x\\x0ay\\xff\xc3\xa9\t0\t12\t200\tOK\t-\ttext/plain");
  auto j = lines(ProtoLog::kHttp, RecordFormat::kJson, recs);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0],
            "{\"ts\":1700000000.123457,\"uid\":\"CAbc123\",\"id.orig_h\":\"10.0.0.23\",\"id.orig_p\":53124,"
            "\"id.resp_h\":\"10.0.0.53\",\"id.resp_p\":80,\"trans_depth\":1,\"method\":\"GET\",\"host\":\"-\","
            "\"uri\":\"/a\\tb,c\\\\d\\\"e\",\"version\":\"1.1\",\"user_agent\":\"x\\ny\\\\xff\xc3\xa9\","
            "\"request_body_len\":0,\"response_body_len\":12,\"status_code\":200,\"status_msg\":\"OK\","
            "\"response_content_type\":\"text/plain\"}");
  auto c = lines(ProtoLog::kHttp, RecordFormat::kCsv, recs);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0],
            "ts,uid,id.orig_h,id.orig_p,id.resp_h,id.resp_p,trans_depth,method,host,uri,referrer,version,user_agent,"
            "request_body_len,response_body_len,status_code,status_msg,request_content_type,response_content_type");
  EXPECT_EQ(c[1],
            "1700000000.123457,CAbc123,10.0.0.23,53124,10.0.0.53,80,1,GET,-,\"/a\\x09b,c\\d\"\"e\",,1.1,"
            "x\\x0ay\\xff\xc3\xa9,0,12,200,OK,,text/plain");
  auto t = lines(ProtoLog::kHttp, RecordFormat::kText, recs);
  ASSERT_EQ(t.size(), 2u);
  // Columns are as wide as their names at least (status_code: 11, response_body_len: 17).
  EXPECT_EQ(t[1],
            std::string("2023-11-14T22:13:20.123456Z CAbc123            10.0.0.23:53124         -> 10.0.0.53:80            ") +
                "GET     "
            "-                        /a\\x09b,c\\d\"e" + std::string(27, ' ') + "         200                12 "
            "x\\x0ay\\xff\xc3\xa9");
}

TEST(ProtoWriter, HttpWithoutResponse) {
  HttpLogRecord r = hostile_http();
  r.status_code = 0;
  r.status_msg.clear();
  r.response_content_type.clear();
  r.response_body_len = 0;
  r.has_response = false;
  auto z = lines(ProtoLog::kHttp, RecordFormat::kZeek, std::vector{r});
  EXPECT_EQ(z[8].substr(z[8].rfind("\t0\t0\t")), "\t0\t0\t-\t-\t-\t-");
}

TEST(ProtoWriter, Ssl) {
  SslLogRecord r;
  header(r, Transport::kTcp, 443);
  r.version = "TLSv13";
  r.cipher = "TLS_AES_128_GCM_SHA256";
  r.has_sni = true;
  r.server_name = "example.org";
  r.next_protocol = "h2";
  r.established = true;
  r.client_hello = r.server_hello = true;
  r.ja3 = "66918128f1b9b03303d77c6f2eefd128";
  r.ja4 = "t13d1516h2_8daaf6152771_b0da82dd1658";
  SslLogRecord bare;
  header(bare, Transport::kTcp, 443);
  bare.has_sni = true;  // an SNI extension with an empty name
  auto z = lines(ProtoLog::kSsl, RecordFormat::kZeek, std::vector{r, bare});
  ASSERT_EQ(z.size(), 11u);
  EXPECT_EQ(z[4], "#path\tssl");
  EXPECT_EQ(z[6],
            "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tcipher\tserver_name\t"
            "next_protocol\testablished\tja3\tja3s\tja4");
  EXPECT_EQ(z[7], "#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tstring\tstring\tstring\tbool\tstring\tstring\tstring");
  EXPECT_EQ(z[8],
            "1700000000.123457\tCAbc123\t10.0.0.23\t53124\t10.0.0.53\t443\tTLSv13\tTLS_AES_128_GCM_SHA256\t"
            "example.org\th2\tT\t66918128f1b9b03303d77c6f2eefd128\t-\tt13d1516h2_8daaf6152771_b0da82dd1658");
  EXPECT_EQ(z[9], "1700000000.123457\tCAbc123\t10.0.0.23\t53124\t10.0.0.53\t443\t-\t-\t(empty)\t-\tF\t-\t-\t-");
  auto j = lines(ProtoLog::kSsl, RecordFormat::kJson, std::vector{bare});
  EXPECT_EQ(j[0],
            "{\"ts\":1700000000.123457,\"uid\":\"CAbc123\",\"id.orig_h\":\"10.0.0.23\",\"id.orig_p\":53124,"
            "\"id.resp_h\":\"10.0.0.53\",\"id.resp_p\":443,\"server_name\":\"\",\"established\":false}");
  auto c = lines(ProtoLog::kSsl, RecordFormat::kCsv, std::vector{r});
  EXPECT_EQ(c[1],
            "1700000000.123457,CAbc123,10.0.0.23,53124,10.0.0.53,443,TLSv13,TLS_AES_128_GCM_SHA256,example.org,h2,T,"
            "66918128f1b9b03303d77c6f2eefd128,,t13d1516h2_8daaf6152771_b0da82dd1658");
  auto t = lines(ProtoLog::kSsl, RecordFormat::kText, std::vector{r});
  EXPECT_EQ(t[1],
            "2023-11-14T22:13:20.123456Z CAbc123            10.0.0.23:53124         -> 10.0.0.53:443           TLSv13  "
            "T           example.org                    h2            TLS_AES_128_GCM_SHA256");
}

TEST(ProtoWriter, SshAuthUnsetFalseTrue) {
  SshLogRecord r;
  header(r, Transport::kTcp, 22);
  r.version = 2;
  r.client = "SSH-2.0-OpenSSH_9.6";
  r.server = "SSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.2";
  r.cipher_alg = "chacha20-poly1305@openssh.com";
  r.mac_alg = "umac-64-etm@openssh.com";
  r.compression_alg = "none";
  r.kex_alg = "curve25519-sha256";
  r.host_key_alg = "ssh-ed25519";
  SshLogRecord failed = r, succeeded = r;
  failed.auth_success = SshLogRecord::Auth::kFailure;
  failed.auth_attempts = 3;
  succeeded.auth_success = SshLogRecord::Auth::kSuccess;
  succeeded.auth_attempts = 1;
  auto z = lines(ProtoLog::kSsh, RecordFormat::kZeek, std::vector{r, failed, succeeded});
  ASSERT_EQ(z.size(), 12u);
  EXPECT_EQ(z[4], "#path\tssh");
  EXPECT_EQ(z[6],
            "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tversion\tauth_success\tauth_attempts\t"
            "direction\tclient\tserver\tcipher_alg\tmac_alg\tcompression_alg\tkex_alg\thost_key_alg");
  EXPECT_EQ(z[7],
            "#types\ttime\tstring\taddr\tport\taddr\tport\tcount\tbool\tcount\tenum\tstring\tstring\tstring\tstring\t"
            "string\tstring\tstring");
  const std::string tail =
      "\tSSH-2.0-OpenSSH_9.6\tSSH-2.0-OpenSSH_8.2p1 Ubuntu-4ubuntu0.2\tchacha20-poly1305@openssh.com\t"
      "umac-64-etm@openssh.com\tnone\tcurve25519-sha256\tssh-ed25519";
  const std::string head = "1700000000.123457\tCAbc123\t10.0.0.23\t53124\t10.0.0.53\t22\t2\t";
  EXPECT_EQ(z[8], head + "-\t0\t-" + tail);
  EXPECT_EQ(z[9], head + "F\t3\t-" + tail);
  EXPECT_EQ(z[10], head + "T\t1\t-" + tail);
  auto j = lines(ProtoLog::kSsh, RecordFormat::kJson, std::vector{r, succeeded});
  EXPECT_EQ(j[0].find("auth_success"), std::string::npos) << j[0];
  EXPECT_NE(j[1].find("\"version\":2,\"auth_success\":true,\"auth_attempts\":1,\"client\":"), std::string::npos) << j[1];
}

TEST(ProtoWriter, EmptyZeekLogClosesAtTheOpenTime) {
  auto z = lines(ProtoLog::kSsh, RecordFormat::kZeek, std::vector<SshLogRecord>{});
  ASSERT_EQ(z.size(), 9u);
  EXPECT_EQ(z[8], "#close\t2023-11-14-22-13-20");
}

TEST(ProtoWriter, FieldListsMatchZeekHeader) {
  EXPECT_EQ(proto_fields(ProtoLog::kDns).size(), 24u);
  EXPECT_EQ(proto_fields(ProtoLog::kHttp).back().name, "response_content_type");
  EXPECT_EQ(proto_log_path(ProtoLog::kSsl), "ssl");
}

}  // namespace
}  // namespace pcapscope

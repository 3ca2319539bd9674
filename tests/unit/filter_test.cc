// The filter language: lexing, parsing, typing, evaluation over packets and
// records, and positioned errors. The differential test against `tshark -Y`
// over the corpus is tests/corpus/filter_diff.py.
#include <gtest/gtest.h>

#include <string>

#include "decode_test_support.h"
#include "output/proto_log_schema.h"
#include "output/session_writer.h"
#include "pcapscope/filter.h"
#include "pcapscope/proto.h"

namespace pcapscope {
namespace {

using filter::CompileError;
using filter::Filter;
using filter::Subject;
using namespace test;

Filter compile(std::string_view expr, Subject s = Subject::kPacket) {
  auto r = Filter::compile(expr, s);
  if (auto* e = std::get_if<CompileError>(&r)) {
    ADD_FAILURE() << expr << ": " << e->render(expr);
    return std::get<Filter>(Filter::compile("frame", Subject::kPacket));
  }
  return std::move(std::get<Filter>(r));
}

CompileError error_of(std::string_view expr, Subject s = Subject::kPacket) {
  auto r = Filter::compile(expr, s);
  if (auto* e = std::get_if<CompileError>(&r)) return *e;
  ADD_FAILURE() << expr << " compiled";
  return {};
}

bool frame_len_even(const DecodedPacket& d) { return d.data().size() % 2 == 0; }

// 10.0.0.1:40000 -> 10.0.0.2:80, PSH-ACK carrying an HTTP request line.
struct HttpPacket {
  std::string payload = "GET /index.html HTTP/1.1\r\nHost: Example.COM\r\n\r\n";
  Decoded pkt{cat({eth(0x0800), ipv4(6, 20 + payload.size()), tcp(40000, 80, 0x18),
                   ByteVec(payload.begin(), payload.end())})};
};

struct Case {
  const char* expr;
  bool expected;
};

void expect_matches(const DecodedPacket& d, std::initializer_list<Case> cases) {
  for (const Case& c : cases) EXPECT_EQ(compile(c.expr).matches(d), c.expected) << c.expr;
}

TEST(FilterPacket, FieldsOperatorsAndLiterals) {
  HttpPacket h;
  expect_matches(h.pkt.d, {
      {"tcp", true},
      {"udp", false},
      {"ip && tcp && !udp", true},
      {"not udp and tcp", true},
      {"tcp ^^ ip", false},
      {"tcp.port == 80", true},
      {"tcp.port == 40000", true},  // either end
      {"tcp.srcport == 80", false},
      {"tcp.dstport eq 80", true},
      {"tcp.port != 80", false},    // neither end is 80: false
      {"tcp.port ~= 80", true},     // some end differs
      {"tcp.port === 80", false},   // not every end
      {"tcp.port in {22, 80, 443}", true},
      {"tcp.port in {1..79, 81..100}", false},
      {"tcp.port in {39000..41000}", true},
      {"tcp.port not in {80}", false},
      {"tcp.dstport not in {22, 443}", true},
      {"ip.src == 10.0.0.1", true},
      {"ip.src == 10.0.0.0/8", true},
      {"ip.dst == 192.168.0.0/16", false},
      {"ip.addr == 10.0.0.2", true},
      {"ip.src < ip.dst", true},
      {"ip.src == ip.dst", false},
      {"eth.src == aa:bb:cc:dd:ee:ff", true},
      {"eth.src == aa-bb-cc-dd-ee-ff", true},
      {"eth.addr == 00:11:22:33:44:55", true},
      {"eth.dst == aabb.ccdd.eeff", false},
      {"tcp.flags == 0x18", true},
      {"tcp.flags == 030", true},  // octal, as in C and Wireshark
      {"tcp.flags & 0x10", true},
      {"tcp.flags & 0x02", false},
      {"tcp.flags & 0x12 == 0x10", true},  // & binds tighter than ==
      {"tcp.flags.push == 1", true},
      {"tcp.flags.syn == True", false},
      {"tcp.flags.ack == true", true},
      {"tcp.len > 40", true},
      {"tcp.len * 3 >= frame.len", true},
      {"tcp.len * 2 >= frame.len", false},
      {"frame.len - tcp.len == 54", true},
      {"{frame.len - tcp.len} * 1.5 == 81", true},
      {"-tcp.len < 0", true},
      {"frame.len % 2 == 0", frame_len_even(h.pkt.d)},
      {"tcp.len / 0 == 1", false},  // no value, no match
      {"ip.ttl gt 63 && ip.ttl le 64", true},
      {"tcp contains \"GET\"", true},
      {"tcp contains 47:45:54", true},
      {"frame contains \"Host:\"", true},
      {"tcp[20:3] == \"GET\"", true},
      {"tcp[20:3] == 47:45:54", true},
      {"tcp[-4:] == 0d:0a:0d:0a", true},
      {"tcp[0-1] == 9c:40", true},
      {"tcp[2] == 00 && tcp[3] == 50", true},
      {"frame matches \"host: example\\\\.com\"", true},  // case-insensitive like Wireshark
      {"frame matches \"(?-i)host: example\"", false},
      {"frame ~ \"^\\\\x00\\\\x11\"", true},
      {"len(tcp) == 20 + len(frame) - 54", true},
      {"count(ip.addr) == 2", true},
      {"count(tcp.port) == 2 && count(udp.port) == 0", true},
      {"abs(-tcp.srcport) == 40000", true},
      {"max(tcp.srcport, tcp.dstport) == 40000 && min(tcp.srcport, tcp.dstport, 90) == 80", true},
      {"string(tcp.dstport) == \"80\"", true},
      {"string(ip.src) matches \"^10\\\\.\"", true},
      {"frame.time_epoch >= 0", true},
      {"frame.time < \"2000-01-01 00:00:00\"", true},
      {"frame.time < \"2000-01-01T00:00:00Z\"", true},
      {"frame.time > \"Jan  1, 1960 00:00:00\"", true},
      {"ip.proto == 'A' - 59", true},
      {"(tcp.port == 80 || udp.port == 53) && ip.version == 4", true},
      {"ipv6 || ipv6.addr == ::1", false},
      {"ip.dst != 10.0.0.0/24", false},
  });
}

TEST(FilterPacket, AbsentFieldsNeverCompareTrue) {
  HttpPacket h;
  for (const char* e : {"udp.port == 53", "udp.port != 53", "udp.port ~= 53", "udp.port === 53", "udp.port > 0",
                        "udp.port < 100000", "ipv6.src != ::1", "dns.qry.name contains \"a\"", "udp.port in {1..65535}",
                        "len(dns.qry.name) == 0"}) {
    EXPECT_FALSE(compile(e).matches(h.pkt.d)) << e;
  }
}

// Differences tests/corpus/filter_diff.py found against tshark 4.0.
TEST(FilterPacket, AsTshark40) {
  HttpPacket h;
  expect_matches(h.pkt.d, {
      {"udp.port not in {53}", true},  // !(udp.port in {53}): true without UDP
      {"tcp.port not in {80, 443}", false},
      {"eth.src[0:3] == aa:bb:cc", true},  // addresses slice as bytes
      {"eth.dst[0] & 1", false},
      {"eth.addr[0-1] == 00:11", true},
      {"ip.dst[3] == 02", true},
      {"ip.src[0:2] == 0a:00 && ip.src[2:] == 00:01", true},
      {"ip.dst[0] == 10", false},  // hex pairs: 10 is the byte 0x10
      {"ip.dst[0] == 0x0a", true},  // 0x and two hex digits: one byte
      {"ip.dst[0] == a", true},     // one hex digit: one byte
      {"tcp[13] == 0x18", true},
      {"tcp[13] == 24", false},  // hex pair 0x24
      {"tcp[13] & 0x10", true},  // byte strings mask like numbers
      {"tcp[13] & 0x02", false},
  });
  // tshark rejects 0x8 and never matches 224 against a byte: errors here.
  for (const char* e : {"tcp[1] == 0x140", "tcp[13] == 0x8", "ip.dst[0] == 224"})
    EXPECT_NE(error_of(e).message.find("is not a byte string"), std::string::npos) << e;
}

TEST(FilterErrors, PointAtTheCulprit) {
  struct ErrorCase {
    const char* expr;
    const char* message_part;
    std::size_t column;
  } cases[] = {
      {"ip.sorce == 10.0.0.1", "unknown field \"ip.sorce\" (did you mean ip.src?)", 0},
      {"tcp.port == 80 && ip.dts == 10.0.0.1", "did you mean ip.dst?", 18},
      {"tcp.port = 80", "\"=\" is not an operator", 9},
      {"tcp.port == ", "ends where a value was expected", 12},
      {"(tcp.port == 80", "expected \")\"", 15},
      {"tcp.port == 80)", "unexpected \")\"", 14},
      {"ip.src == 300.1.2.3", "\"300.1.2.3\" is not an IP address", 10},
      {"ip.src == example.com", "unknown field \"example.com\"", 10},
      {"tcp.port == \"80\"", "not a number", 12},
      {"eth.src == 00:11:22", "not a MAC address", 11},
      {"tcp.port in {80 443}", "expected \",\" or \"}\"", 16},
      {"http.host matches \"(\"", "bad regular expression", 18},
      {"lenn(http.host) > 3", "unknown function \"lenn\" (did you mean len?)", 0},
      {"len(tcp.port) > 3", "len() needs a string", 4},
      {"ip.src + 1 == 2", "arithmetic needs numbers", 0},
      {"ip.src == tcp.port", "cannot compare a IP address with a integer", 0},
      {"\"abc\"", "a value alone is not a test", 0},
      {"1 == 1", "both sides are constants", 0},
      {"tcp.port == 80 &&", "the filter ends where a value was expected", 17},
      {"tcp[1:x] == 00", "bad slice", 0},
      {"frame.time > \"yesterday\"", "is not a time", 13},
      {"tcp contains \"unterminated", "unterminated string", 13},
      {"tcp.port == 0x", "not a number", 12},
      {"   ", "the filter is empty", 0},
  };
  for (const ErrorCase& c : cases) {
    const CompileError e = error_of(c.expr);
    EXPECT_NE(e.message.find(c.message_part), std::string::npos) << c.expr << " -> " << e.message;
    EXPECT_EQ(e.column, c.column) << c.expr << " -> " << e.message;
  }
  const CompileError e = error_of("tcp.port == 80 && ip.sorce == 1.2.3.4");
  EXPECT_EQ(e.render("tcp.port == 80 && ip.sorce == 1.2.3.4"),
            "unknown field \"ip.sorce\" (did you mean ip.src?) (column 19)\n"
            "    tcp.port == 80 && ip.sorce == 1.2.3.4\n"
            "                      ^~~~~~~~");
}

TEST(FilterErrors, DeepNestingIsAnErrorNotACrash) {
  std::string deep(5000, '(');
  deep += "tcp";
  deep += std::string(5000, ')');
  EXPECT_NE(error_of(deep).message.find("nested deeper"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "!";
  nots += "tcp";
  EXPECT_NE(error_of(nots).message.find("nested deeper"), std::string::npos);
  std::string minus(5000, '-');
  EXPECT_NE(error_of("tcp.len == " + minus + "1").message.find("nested deeper"), std::string::npos);
}

SessionRecord conn(std::uint64_t orig, std::uint64_t resp, std::int64_t dur_s) {
  SessionRecord r;
  r.ts_ns = 1'700'000'000'000'000'000;
  r.last_ns = r.ts_ns + dur_s * 1'000'000'000;
  r.orig_h.bytes = {10, 0, 0, 5};
  r.resp_h.bytes = {203, 0, 113, 9};
  r.orig_p = 50000;
  r.resp_p = 443;
  r.proto = Transport::kTcp;
  r.conn_state = ConnState::kSF;
  r.orig_bytes = orig;
  r.resp_bytes = resp;
  std::snprintf(r.uid.data(), r.uid.size(), "CabcDEF123");
  std::snprintf(r.history.data(), r.history.size(), "ShADadFf");
  return r;
}

TEST(FilterRecords, ConnFieldsArithmeticAndStatisticalThresholds) {
  const SessionRecord big_out = conn(5'000'000, 20'000, 120);
  const SessionRecord balanced = conn(5'000, 20'000, 120);
  const SessionRecord instant = conn(5'000'000, 0, 0);  // no duration: Zeek leaves bytes unset
  Filter exfil = compile("orig_bytes > 10 * resp_bytes && duration > 60", Subject::kConn);
  EXPECT_TRUE(exfil.matches(big_out));
  EXPECT_FALSE(exfil.matches(balanced));
  EXPECT_FALSE(exfil.matches(instant));
  EXPECT_TRUE(compile("id.orig_h == 10.0.0.0/8 && !(id.resp_h == 10.0.0.0/8)", Subject::kConn).matches(big_out));
  EXPECT_TRUE(compile("id.resp_p in {443, 8443} && conn_state == \"SF\"", Subject::kConn).matches(big_out));
  EXPECT_TRUE(compile("history matches \"^Sh\" && uid == \"CabcDEF123\"", Subject::kConn).matches(big_out));
  EXPECT_TRUE(compile("ts >= \"2023-11-14 22:13:20\" && ts < \"2023-11-14T22:13:21Z\"", Subject::kConn).matches(big_out));
  EXPECT_TRUE(compile("duration == 120 && proto == \"tcp\"", Subject::kConn).matches(big_out));
  EXPECT_FALSE(compile("service", Subject::kConn).matches(big_out));  // unset: absent
  EXPECT_TRUE(compile("community_id matches \"^1:\"", Subject::kConn).matches(big_out));
  EXPECT_FALSE(exfil.matches(DnsLogRecord{}));  // compiled for conn
  EXPECT_NE(error_of("orig_byte > 1", Subject::kConn).message.find("did you mean orig_bytes?"), std::string::npos);
  EXPECT_NE(error_of("tcp.port == 1", Subject::kConn).message.find("unknown field"), std::string::npos);
}

TEST(FilterRecords, DnsFunctions) {
  DnsLogRecord r;
  r.has_query = true;
  r.query = "a9f3k2q8z7x1.tunnel.Example.co.uk";
  r.answers = {"10.1.2.3", "mail.example.co.uk"};
  r.TTLs = {60, 3600};
  EXPECT_TRUE(compile("registered_domain(query) == \"example.co.uk\"", Subject::kDns).matches(r));
  EXPECT_TRUE(compile("entropy(query) > 3.5", Subject::kDns).matches(r));
  EXPECT_FALSE(compile("entropy(query) > 5", Subject::kDns).matches(r));
  EXPECT_TRUE(compile("lower(query) contains \"example\" && !(query contains \"example\")", Subject::kDns).matches(r));
  EXPECT_TRUE(compile("upper(query) contains \"TUNNEL\"", Subject::kDns).matches(r));
  EXPECT_TRUE(compile("len(query) > 30", Subject::kDns).matches(r));
  EXPECT_TRUE(compile("answers == \"10.1.2.3\"", Subject::kDns).matches(r));  // any element
  EXPECT_TRUE(compile("count(answers) == 2 && TTLs > 1000", Subject::kDns).matches(r));
  EXPECT_TRUE(compile("answers matches \"^10\\\\.\"", Subject::kDns).matches(r));
  // Text holding addresses compares with address literals; other strings have no value.
  EXPECT_TRUE(compile("answers == 10.0.0.0/8", Subject::kDns).matches(r));
  EXPECT_FALSE(compile("answers == 192.168.0.0/16", Subject::kDns).matches(r));
  EXPECT_TRUE(compile("answers in {10.1.2.3, 192.0.2.1}", Subject::kDns).matches(r));
  EXPECT_TRUE(compile("answers != 192.168.0.0/16", Subject::kDns).matches(r));
}

// Pairs multiply along a chain of multi-valued operands; one operation takes
// at most kMaxArithmeticPairs of them, in order, and the cut is counted.
TEST(FilterRecords, ArithmeticPairsAreBounded) {
  static_assert(filter::kMaxArithmeticPairs == 4096, "the test's sizes assume 4096");
  DnsLogRecord r;
  r.TTLs = {1, 2, 3, 4, 5, 6, 7, 8};
  const std::uint64_t before = filter::arithmetic_cut_count();
  // 8^4 = 4096 pairs in the outer operation: every one taken, the last included.
  EXPECT_TRUE(compile("TTLs * TTLs * TTLs * TTLs == 4096", Subject::kDns).matches(r));
  EXPECT_TRUE(compile("TTLs * TTLs == 56", Subject::kDns).matches(r));
  EXPECT_EQ(filter::arithmetic_cut_count(), before);
  // 8^5 = 32768 pairs: the first 4096 (inner values 1..512th times 1..8) are taken, the last is not.
  Filter deep = compile("TTLs * TTLs * TTLs * TTLs * TTLs == 32768", Subject::kDns);
  EXPECT_FALSE(deep.matches(r));
  EXPECT_EQ(filter::arithmetic_cut_count(), before + 1);
  EXPECT_TRUE(compile("TTLs * TTLs * TTLs * TTLs * TTLs == 8", Subject::kDns).matches(r));
  EXPECT_EQ(filter::arithmetic_cut_count(), before + 2);
  // Thirty deep would be 8^30 values without the bound; it stays a few thousand per operation.
  std::string chain = "TTLs";
  for (int i = 0; i < 29; ++i) chain += " * TTLs";
  EXPECT_FALSE(compile(chain + " == 0", Subject::kDns).matches(r));
  EXPECT_GT(filter::arithmetic_cut_count(), before + 2);
}

TEST(FilterRecords, ConnSchemaCoversEverySessionField) {
  const auto& schema = logschema::conn_schema();
  ASSERT_EQ(schema.fields.size(), session_fields().size());
  for (std::size_t i = 0; i < schema.fields.size(); ++i) EXPECT_EQ(schema.fields[i].name, session_fields()[i].name);
  // Every field is a name the filter knows; unset ones (local_orig without local networks) test absent.
  const SessionRecord r = conn(1, 1, 1);
  for (const auto& f : session_fields()) {
    const bool always_set = f.name == "ts" || f.name == "uid" || f.name == "orig_bytes" || f.name == "history";
    if (always_set) {
      EXPECT_TRUE(compile(std::string(f.name), Subject::kConn).matches(r)) << f.name;
    }
  }
  EXPECT_FALSE(compile("local_orig", Subject::kConn).matches(r));
}

TEST(FilterLiterals, TimesInEveryAcceptedForm) {
  const SessionRecord r = conn(1, 1, 1);  // ts 1700000000 = 2023-11-14 22:13:20 UTC
  for (const char* e : {"ts == 1700000000", "ts == 1700000000.0", "ts == \"2023-11-14 22:13:20\"",
                        "ts == \"2023-11-14T22:13:20Z\"", "ts == \"2023-11-14T23:13:20+01:00\"",
                        "ts == \"2023-11-14 17:13:20 -0500\"", "ts == \"Nov 14, 2023 22:13:20.000000000 UTC\"",
                        "ts > \"2023-11-14\"", "ts - 20 == \"2023-11-14 22:13:00\"", "ts + 1.5 > ts"}) {
    EXPECT_TRUE(compile(e, Subject::kConn).matches(r)) << e;
  }
  EXPECT_FALSE(compile("ts == \"2023-11-14 22:13:21\"", Subject::kConn).matches(r));
}

}  // namespace
}  // namespace pcapscope

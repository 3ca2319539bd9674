// pcapscope sql's pieces: the SQL functions, the tables built from the record
// schemas (every key of `fields --records` a column), NULL for unset fields,
// JSON arrays for sets, the lock-down and the three output formats.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <optional>
#include <set>
#include <string>

#include "core/cidr.h"
#include "output/alert_writer.h"
#include "output/proto_writer.h"
#include "output/session_writer.h"
#include "output/sql_functions.h"
#include "output/sql_query.h"
#include "output/sqlite_tables.h"
#include "pcapscope/fields.h"

namespace pcapscope {
namespace {

using sqltables::Database;
using sqltables::TableWriter;

// The first column of the first row; nullopt for NULL. Errors fail the test (use error_of for expected ones).
std::optional<std::string> scalar(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* s = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK) << sql << ": " << sqlite3_errmsg(db);
  std::optional<std::string> out;
  const int rc = sqlite3_step(s);
  EXPECT_EQ(rc, SQLITE_ROW) << sql << ": " << sqlite3_errmsg(db);
  if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
    out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
  }
  sqlite3_finalize(s);
  return out;
}

// SQLite's message when SQL fails (prepare or step), "" when it runs.
std::string error_of(sqlite3* db, const std::string& sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) == SQLITE_OK) return "";
  std::string e = msg ? msg : "?";
  sqlite3_free(msg);
  return e;
}

std::set<std::string> columns_of(sqlite3* db, const std::string& table) {
  std::set<std::string> out;
  sqlite3_stmt* s = nullptr;
  const std::string sql = "SELECT name FROM pragma_table_info('" + table + "')";
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr), SQLITE_OK);
  while (sqlite3_step(s) == SQLITE_ROW) out.insert(reinterpret_cast<const char*>(sqlite3_column_text(s, 0)));
  sqlite3_finalize(s);
  return out;
}

std::string query_output(sqlite3* db, const std::string& sql, SqlFormat format, std::string* error = nullptr) {
  std::string out;
  auto r = run_query(db, sql, format, [&out](std::string_view s) { out += s; });
  if (error) *error = r ? "" : r.error().message;
  return out;
}

class SqlFunctions : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = Database::memory();
    ASSERT_TRUE(d.ok()) << d.error().message;
    db_.emplace(std::move(d).value());
    ASSERT_TRUE(register_sql_functions(db(), nullptr).ok());
  }
  sqlite3* db() { return db_->get(); }
  std::optional<Database> db_;
};

TEST_F(SqlFunctions, InCidrIpv4AndIpv6) {
  EXPECT_EQ(scalar(db(), "SELECT in_cidr('10.1.2.3', '10.0.0.0/8')"), "1");
  EXPECT_EQ(scalar(db(), "SELECT in_cidr('11.0.0.1', '10.0.0.0/8')"), "0");
  EXPECT_EQ(scalar(db(), "SELECT in_cidr('192.0.2.7', '192.0.2.7')"), "1");  // a bare address is a /32
  EXPECT_EQ(scalar(db(), "SELECT in_cidr('2001:db8::1', '2001:db8::/32')"), "1");
  EXPECT_EQ(scalar(db(), "SELECT in_cidr('2001:db9::1', '2001:db8::/32')"), "0");
  EXPECT_EQ(scalar(db(), "SELECT in_cidr('10.0.0.1', '2001:db8::/32')"), "0");  // families never mix
  // The network is cached per statement: every row is judged against the same one.
  EXPECT_EQ(scalar(db(), "SELECT group_concat(in_cidr(a, '172.16.0.0/12'), '') FROM "
                         "(SELECT '172.16.0.1' AS a UNION ALL SELECT '172.32.0.1' UNION ALL SELECT '172.31.255.255')"),
            "101");
}

TEST_F(SqlFunctions, InCidrNullAndErrors) {
  EXPECT_EQ(scalar(db(), "SELECT in_cidr(NULL, '10.0.0.0/8')"), std::nullopt);
  EXPECT_NE(error_of(db(), "SELECT in_cidr('10.0.0.1', '10.0.0.0/33')").find("in_cidr(): \"10.0.0.0/33\""),
            std::string::npos);
  // Host bits under the prefix are a typo, as in every setting that takes networks.
  EXPECT_NE(error_of(db(), "SELECT in_cidr('10.0.0.1', '10.0.0.1/8')"), "");
  // A bad network fails the query even when the address is NULL: the typo must not hide behind the data.
  EXPECT_NE(error_of(db(), "SELECT in_cidr(NULL, 'ten/8')"), "");
  // Not an address (a DNS answer's name or TXT data): NULL, so WHERE skips the row.
  EXPECT_EQ(scalar(db(), "SELECT in_cidr('example.com', '10.0.0.0/8')"), std::nullopt);
}

TEST_F(SqlFunctions, RegisteredDomainAndEntropy) {
  EXPECT_EQ(scalar(db(), "SELECT registered_domain('a.b.example.co.uk')"), "example.co.uk");
  EXPECT_EQ(scalar(db(), "SELECT registered_domain('WWW.Google.COM.')"), "google.com");
  EXPECT_EQ(scalar(db(), "SELECT registered_domain('com')"), "com");
  EXPECT_EQ(scalar(db(), "SELECT registered_domain(NULL)"), std::nullopt);
  EXPECT_EQ(scalar(db(), "SELECT entropy('aaaa')"), "0.0");
  EXPECT_EQ(scalar(db(), "SELECT entropy('ab')"), "1.0");
  EXPECT_EQ(scalar(db(), "SELECT entropy('abcd')"), "2.0");
  EXPECT_EQ(scalar(db(), "SELECT entropy(NULL)"), std::nullopt);
}

TEST_F(SqlFunctions, CountryWithoutGeoipIsAClearError) {
  EXPECT_EQ(error_of(db(), "SELECT country('8.8.8.8')"),
            "country(): no GeoIP database configured (set PCAPSCOPE_GEOIP_DB or --set geoip_db=...)");
}

TEST(SqlTables, EveryRecordKeyIsAColumn) {
  auto d = Database::memory();
  ASSERT_TRUE(d.ok());
  auto w = TableWriter::create(d.value().get(), true);
  ASSERT_TRUE(w.ok()) << w.error().message;
  sqlite3* db = d.value().get();
  // The lists `pcapscope fields --records` prints, with '.' as '_'.
  std::set<std::string> conn;
  for (const SessionField& f : session_fields()) conn.insert(sqltables::column_name(f.name));
  EXPECT_EQ(columns_of(db, "conn"), conn);
  EXPECT_TRUE(conn.count("id_orig_h") && conn.count("id_resp_p"));
  for (ProtoLog log : {ProtoLog::kDns, ProtoLog::kHttp, ProtoLog::kSsl, ProtoLog::kSsh}) {
    std::set<std::string> want;
    for (const ProtoField& f : proto_fields(log)) want.insert(sqltables::column_name(f.name));
    EXPECT_EQ(columns_of(db, std::string(proto_log_path(log))), want) << proto_log_path(log);
  }
  std::set<std::string> alerts{"extra"};
  for (const AlertKey& k : alert_keys()) {
    if (k.name != "record") alerts.insert(std::string(k.name));
  }
  EXPECT_EQ(columns_of(db, "alerts"), alerts);
  std::set<std::string> packets;
  for (const auto& c : sqltables::kPacketColumns) {
    EXPECT_NE(find_field(c.field), nullptr) << c.field;
    packets.insert(std::string(c.column));
  }
  EXPECT_EQ(columns_of(db, "packets"), packets);
  EXPECT_EQ(columns_of(db, "files"), (std::set<std::string>{"path", "sha256", "size", "packets", "first_ts", "last_ts"}));
  EXPECT_EQ(columns_of(db, "meta"), (std::set<std::string>{"key", "value"}));
  EXPECT_TRUE(w.value()->finish().ok());
}

TEST(SqlTables, ColumnTypesFollowZeekTypes) {
  using sqltables::ColumnType;
  EXPECT_EQ(sqltables::column_type_of("time"), ColumnType::kReal);
  EXPECT_EQ(sqltables::column_type_of("interval"), ColumnType::kReal);
  EXPECT_EQ(sqltables::column_type_of("count"), ColumnType::kInteger);
  EXPECT_EQ(sqltables::column_type_of("port"), ColumnType::kInteger);
  EXPECT_EQ(sqltables::column_type_of("bool"), ColumnType::kInteger);
  EXPECT_EQ(sqltables::column_type_of("addr"), ColumnType::kText);
  EXPECT_EQ(sqltables::column_type_of("vector[string]"), ColumnType::kText);
}

IpAddress v4(const char* text) { return parse_ip_address(text).value(); }

TEST(SqlTables, RowsUnsetIsNullSetsAreJsonArrays) {
  auto d = Database::memory();
  ASSERT_TRUE(d.ok());
  sqlite3* db = d.value().get();
  auto wr = TableWriter::create(db, false);
  ASSERT_TRUE(wr.ok());
  TableWriter& w = *wr.value();

  SessionRecord quiet;  // one packet: no duration, so no duration or byte counts (Zeek's rule)
  quiet.ts_ns = quiet.last_ns = 1'700'000'000'123'456'789;
  quiet.orig_h = v4("10.0.0.1");
  quiet.resp_h = v4("192.0.2.9");
  quiet.orig_p = 40000;
  quiet.resp_p = 53;
  quiet.proto = Transport::kUdp;
  quiet.uid = {'C', 'q', 'u', 'i', 'e', 't'};
  w.on_session_end(quiet);
  SessionRecord flagged = quiet;
  flagged.uid = {'C', 'f', 'l', 'a', 'g'};
  flagged.last_ns = quiet.ts_ns + 2'500'000'000;
  flagged.orig_bytes = 100;
  flagged.service = "dns";
  flagged.flags = session_flag::kTimedOut | session_flag::kEndOfInput;
  w.on_session_end(flagged);

  DnsLogRecord dns;
  dns.ts_ns = quiet.ts_ns;
  dns.uid = quiet.uid;
  dns.id = {quiet.orig_h, quiet.resp_h, 40000, 53, Transport::kUdp};
  dns.has_query = true;
  dns.query = "x.example.com";
  dns.answers = {"192.0.2.1", "a\"b"};
  dns.TTLs = {60, 3600};
  w.on_dns(dns);
  DnsLogRecord bare = dns;  // a response without its query
  bare.has_query = false;
  bare.answers.clear();
  bare.TTLs.clear();
  w.on_dns(bare);

  detect::Alert a;
  a.detector = "dns_tunnel";
  a.severity = detect::Severity::kHigh;
  a.ts_ns = a.last_ns = quiet.ts_ns;
  a.src = quiet.orig_h;
  a.add_uid("Cquiet");
  a.add_frame(7);
  a.value = 400;
  a.threshold = 50;
  a.message = "m";
  a.extra.push_back({"domain", std::string("tunnel-c2.com")});
  a.extra.push_back({"entropy", 4.5});
  w.emit(a);
  w.add_meta("schema_version", "1");
  ASSERT_TRUE(w.finish().ok());

  EXPECT_EQ(scalar(db, "SELECT count(*) FROM conn"), "2");
  EXPECT_EQ(scalar(db, "SELECT ts FROM conn WHERE uid = 'Cquiet'"), "1700000000.12346");  // SQLite prints 15 digits
  EXPECT_EQ(scalar(db, "SELECT ts = 1700000000.123457 FROM conn WHERE uid = 'Cquiet'"), "1");  // to the microsecond
  for (const char* col : {"duration", "orig_bytes", "resp_bytes", "service", "history", "local_orig", "flags",
                          "tunnel_parents", "tunnel"}) {
    EXPECT_EQ(scalar(db, std::string("SELECT ") + col + " FROM conn WHERE uid = 'Cquiet'"), std::nullopt) << col;
  }
  EXPECT_EQ(scalar(db, "SELECT id_orig_h || ':' || id_orig_p || ' ' || proto FROM conn WHERE uid = 'Cquiet'"),
            "10.0.0.1:40000 udp");
  EXPECT_EQ(scalar(db, "SELECT typeof(id_resp_p) FROM conn LIMIT 1"), "integer");
  EXPECT_EQ(scalar(db, "SELECT duration FROM conn WHERE uid = 'Cflag'"), "2.5");
  EXPECT_EQ(scalar(db, "SELECT service FROM conn WHERE uid = 'Cflag'"), "dns");
  EXPECT_EQ(scalar(db, "SELECT flags FROM conn WHERE uid = 'Cflag'"), "[\"timed_out\",\"end_of_input\"]");
  EXPECT_EQ(scalar(db, "SELECT group_concat(value, '|') FROM conn, json_each(conn.flags) WHERE uid = 'Cflag'"),
            "timed_out|end_of_input");

  EXPECT_EQ(scalar(db, "SELECT answers FROM dns WHERE query IS NOT NULL"), "[\"192.0.2.1\",\"a\\\"b\"]");
  EXPECT_EQ(scalar(db, "SELECT TTLs FROM dns WHERE query IS NOT NULL"), "[60.0,3600.0]");  // intervals are REAL
  EXPECT_EQ(scalar(db, "SELECT sum(value) FROM dns, json_each(dns.TTLs)"), "3660.0");
  EXPECT_EQ(scalar(db, "SELECT json_extract(answers, '$[1]') FROM dns WHERE query IS NOT NULL"), "a\"b");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM dns WHERE query IS NULL AND qtype IS NULL AND answers IS NULL"), "1");
  EXPECT_EQ(scalar(db, "SELECT AA FROM dns LIMIT 1"), "0");  // bool as 0/1

  EXPECT_EQ(scalar(db, "SELECT detector || ' ' || severity || ' ' || src FROM alerts"), "dns_tunnel high 10.0.0.1");
  EXPECT_EQ(scalar(db, "SELECT dst FROM alerts"), std::nullopt);
  EXPECT_EQ(scalar(db, "SELECT uids || frames || uid_count FROM alerts"), "[\"Cquiet\"][7]1");
  EXPECT_EQ(scalar(db, "SELECT json_extract(extra, '$.domain') || ' ' || json_extract(extra, '$.entropy') FROM alerts"),
            "tunnel-c2.com 4.5");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM conn JOIN alerts ON conn.uid IN (SELECT value FROM json_each(alerts.uids))"),
            "1");
}

TEST(SqlQuery, LockDownRefusesWritesAttachAndPragmas) {
  auto d = Database::memory();
  ASSERT_TRUE(d.ok());
  sqlite3* db = d.value().get();
  ASSERT_EQ(error_of(db, "CREATE TABLE t (a); INSERT INTO t VALUES (1)"), "");
  ASSERT_TRUE(lock_down(db).ok());
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM t"), "1");
  EXPECT_NE(error_of(db, "INSERT INTO t VALUES (2)"), "");
  EXPECT_NE(error_of(db, "DELETE FROM t"), "");
  EXPECT_NE(error_of(db, "CREATE TEMP TABLE u (a)"), "");
  const std::string path = std::string(PCAPSCOPE_TEST_TMPDIR) + "/sql_lockdown_attached.sqlite";
  std::remove(path.c_str());
  EXPECT_NE(error_of(db, "ATTACH '" + path + "' AS x"), "");
  EXPECT_NE(error_of(db, "VACUUM INTO '" + path + "'"), "");
  EXPECT_NE(error_of(db, "PRAGMA query_only = 0"), "");
  EXPECT_NE(error_of(db, "PRAGMA journal_mode = WAL"), "");
  FILE* f = std::fopen(path.c_str(), "rb");
  EXPECT_EQ(f, nullptr) << "a query wrote " << path;
  if (f) std::fclose(f);
  EXPECT_NE(error_of(db, "INSERT INTO t VALUES (3)"), "");  // query_only is still on
  EXPECT_EQ(error_of(db, "PRAGMA table_info(t)"), "");
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM pragma_table_info('t')"), "1");
}

TEST(SqlQuery, FormatsAndStatements) {
  auto d = Database::memory();
  ASSERT_TRUE(d.ok());
  sqlite3* db = d.value().get();
  const std::string q = "SELECT 1 AS a, 'x,y' AS b, NULL AS c, 1.5 AS d UNION ALL SELECT 22, 'q\"', 3, 0.25";
  EXPECT_EQ(query_output(db, q, SqlFormat::kCsv), "a,b,c,d\n1,\"x,y\",,1.5\n22,\"q\"\"\",3,0.25\n");
  EXPECT_EQ(query_output(db, q, SqlFormat::kJson),
            "{\"a\":1,\"b\":\"x,y\",\"c\":null,\"d\":1.5}\n{\"a\":22,\"b\":\"q\\\"\",\"c\":3,\"d\":0.25}\n");
  EXPECT_EQ(query_output(db, q, SqlFormat::kTable),
            " a  b    c     d\n"
            " 1  x,y  -   1.5\n"
            "22  q\"   3  0.25\n");
  // REAL stays REAL for a reader: whole numbers keep ".0".
  EXPECT_EQ(query_output(db, "SELECT 2.0 AS r, 2 AS i", SqlFormat::kJson), "{\"r\":2.0,\"i\":2}\n");
  // Every statement runs; the last one's rows are printed.
  EXPECT_EQ(query_output(db, "SELECT 1; -- a comment\n SELECT 2 AS two; /* done */ ;", SqlFormat::kCsv), "two\n2\n");
  std::string err;
  query_output(db, "SELEC 1", SqlFormat::kTable, &err);
  EXPECT_NE(err.find("syntax error"), std::string::npos) << err;
  query_output(db, " ; -- nothing\n", SqlFormat::kTable, &err);
  EXPECT_NE(err, "");
  // Control bytes never reach a terminal raw.
  EXPECT_EQ(query_output(db, "SELECT 'a' || char(27) || 'b' AS s", SqlFormat::kTable), "s\na\\x1bb\n");
}

}  // namespace
}  // namespace pcapscope

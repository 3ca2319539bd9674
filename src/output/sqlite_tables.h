// The evidence's records as SQLite tables, for `pcapscope sql`.
//
// One table per record kind (conn, dns, http, ssl, ssh, alerts), columns
// driven by the writers' own field tables (logschema::Schema for conn and
// the protocol logs, alert_keys() for alerts), so a field added to a log
// appears in SQL with no second list to keep in step. Names are the record
// keys with '.' written '_' (id.orig_h -> id_orig_h); types follow the Zeek
// type: count/port/int/bool INTEGER (bool 0/1), time/interval REAL seconds
// (to the microsecond, the value analyze's JSON writes), addr/string/enum
// TEXT, sets and vectors TEXT holding a JSON array (json_each reads it).
// Unset fields are NULL. Wire strings keep valid UTF-8 and turn control
// bytes and invalid bytes into \xHH, as the text outputs print them.
//
// Besides the records: `files` (the inputs with SHA-256), `meta` (version,
// creation time, schema version) and, on request, `packets` (a fixed set of
// per-frame fields read through the field registry, kPacketColumns).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detect/alert.h"
#include "pcapscope/decode.h"
#include "pcapscope/proto.h"
#include "pcapscope/result.h"
#include "pcapscope/session.h"

struct sqlite3;
struct sqlite3_stmt;

namespace pcapscope::sqltables {

// meta.schema_version; a database with another one is refused (the tables would not mean what a query expects).
inline constexpr int kSchemaVersion = 1;
// PRAGMA application_id of the files --db writes: "PCSQ".
inline constexpr std::int32_t kApplicationId = 0x50435351;

enum class ColumnType : std::uint8_t { kInteger, kReal, kText };
std::string_view column_type_name(ColumnType t);  // "INTEGER", "REAL", "TEXT"

struct Column {
  std::string name;
  ColumnType type;
};
struct TableSpec {
  std::string name;
  std::vector<Column> columns;
};

// "id.orig_h" -> "id_orig_h".
std::string column_name(std::string_view key);
// A Zeek type ("count", "time", "vector[string]" ...) as a column type.
ColumnType column_type_of(std::string_view zeek_type);

// The packets table's columns and the registry field each is read from (outermost occurrence).
struct PacketColumn {
  std::string_view column, field;
};
extern const PacketColumn kPacketColumns[21];

// Every table in creation order: conn, dns, http, ssl, ssh, alerts, files, meta, and packets when PACKETS.
std::vector<TableSpec> table_specs(bool packets);
// CREATE TABLE for SPEC.
std::string create_table_sql(const TableSpec& spec);

// An open connection; closed on destruction.
class Database {
 public:
  // A fresh in-memory database.
  static Result<Database> memory();
  // A fresh file at PATH (must not exist: the caller picks a new name), tuned for one bulk load.
  static Result<Database> create(const std::string& path);
  // PATH opened read-only (SQLITE_OPEN_READONLY); refused unless it is a database sql built with this
  // kSchemaVersion ("not a pcapscope sql database ...").
  static Result<Database> open_readonly(const std::string& path);

  Database(Database&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Database& operator=(Database&&) = delete;
  Database(const Database&) = delete;
  ~Database();
  sqlite3* get() const { return db_; }
  // Runs SQL (may be several statements); the error is SQLite's message.
  Result<void> exec(const char* sql);

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

struct FileRow {
  std::string path;
  std::string sha256;                  // empty: stdin or not hashed (NULL)
  std::optional<std::uint64_t> size;   // as stored
  std::uint64_t packets = 0;
  std::optional<std::int64_t> first_ns, last_ns;
};

// Creates the tables and inserts every record it is handed, in one transaction with prepared statements.
// Sits behind the detect engine as its next observers and its alert sink; packets come from the caller's loop.
class TableWriter final : public SessionObserver, public ProtocolObserver, public detect::AlertSink {
 public:
  // Creates the tables in DB (which must outlive the writer) and BEGINs the load.
  static Result<std::unique_ptr<TableWriter>> create(sqlite3* db, bool packets);
  ~TableWriter() override;
  TableWriter(const TableWriter&) = delete;
  TableWriter& operator=(const TableWriter&) = delete;

  void on_session_end(const SessionRecord& rec) override;
  void on_dns(const DnsLogRecord& r) override;
  void on_http(const HttpLogRecord& r) override;
  void on_ssl(const SslLogRecord& r) override;
  void on_ssh(const SshLogRecord& r) override;
  void emit(detect::Alert a) override;
  // One packets row (only when created with PACKETS); PKT.session_uid is the uid column.
  void on_frame(const DecodedPacket& pkt);
  void add_file(const FileRow& f);
  void add_meta(std::string_view key, std::string_view value);

  // COMMITs; the first failed insert's error, if any (later inserts are skipped after one fails).
  Result<void> finish();
  // Rows inserted per table, in table_specs() order ("conn 2774, dns 608, ...").
  std::string counts() const;

 private:
  struct Impl;
  explicit TableWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pcapscope::sqltables

#include "output/sqlite_tables.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "output/alert_writer.h"
#include "output/proto_log_schema.h"
#include "output/zeek_format.h"
#include "pcapscope/fields.h"

namespace pcapscope::sqltables {

// tcp.seq_raw, not tcp.seq: relative sequence numbers need the session stage's state per packet.
const PacketColumn kPacketColumns[21] = {
    {"frame_number", "frame.number"}, {"frame_time_epoch", "frame.time_epoch"},
    {"frame_len", "frame.len"},       {"frame_cap_len", "frame.cap_len"},
    {"eth_src", "eth.src"},           {"eth_dst", "eth.dst"},
    {"vlan_id", "vlan.id"},           {"ip_src", "ip.src"},
    {"ip_dst", "ip.dst"},             {"ip_proto", "ip.proto"},
    {"ip_ttl", "ip.ttl"},             {"ipv6_src", "ipv6.src"},
    {"ipv6_dst", "ipv6.dst"},         {"tcp_srcport", "tcp.srcport"},
    {"tcp_dstport", "tcp.dstport"},   {"tcp_flags", "tcp.flags"},
    {"tcp_seq", "tcp.seq_raw"},       {"tcp_len", "tcp.len"},
    {"udp_srcport", "udp.srcport"},   {"udp_dstport", "udp.dstport"},
    {"uid", "uid"},
};

namespace {

enum TableIndex : std::size_t { kConn, kDns, kHttp, kSsl, kSsh, kAlerts, kFiles, kMeta, kPackets };

// The value analyze's JSON writes (append_seconds_us: rounded to the microsecond), as a double: dividing the
// exact microsecond count is correctly rounded, so it equals the double a JSON parser makes of that text.
double seconds_us(std::int64_t ns) {
  const bool neg = ns < 0;
  const std::uint64_t a = neg ? 0 - static_cast<std::uint64_t>(ns) : static_cast<std::uint64_t>(ns);
  const double s = static_cast<double>((a + 500) / 1000) / 1e6;
  return neg ? -s : s;
}

ColumnType column_type_of_json(std::string_view json_type) {
  if (json_type == "integer" || json_type == "boolean") return ColumnType::kInteger;
  if (json_type == "number") return ColumnType::kReal;
  return ColumnType::kText;
}

ColumnType column_type_of_field(FieldType t) {
  switch (t) {
    case FieldType::kBool:
    case FieldType::kUInt:
    case FieldType::kInt: return ColumnType::kInteger;
    case FieldType::kDouble:
    case FieldType::kTime: return ColumnType::kReal;
    default: return ColumnType::kText;
  }
}

template <class R>
TableSpec spec_of(std::string name, const logschema::Schema<R>& schema) {
  TableSpec t{std::move(name), {}};
  for (const auto& f : schema.fields) t.columns.push_back({column_name(f.name), column_type_of(f.zeek_type)});
  return t;
}

// The alert keys that are columns of their own; every other key of an alert's JSON is a detector extra.
std::vector<std::string_view> alert_columns() {
  std::vector<std::string_view> out;
  for (const AlertKey& k : alert_keys()) {
    if (k.name != "record") out.push_back(k.name);
  }
  return out;
}

bool is_container(std::string_view zeek_type) {
  return zeek_type.starts_with("set[") || zeek_type.starts_with("vector[");
}

// Text whose pointer must stay valid until the statement steps (the record, or a buffer of the table's).
void bind_static(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_STATIC);
}

// A string off the wire: kept when it is plain ASCII (nearly always), else as the text outputs print it.
void bind_wire(sqlite3_stmt* s, int i, std::string_view v, std::string& buf) {
  const bool plain = std::all_of(v.begin(), v.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  if (plain) return bind_static(s, i, v);
  buf.clear();
  append_printable(buf, v);
  bind_static(s, i, buf);
}

void bind_value(sqlite3_stmt* s, int i, const logschema::Value& v, std::string_view zeek_type, std::string& buf) {
  using K = logschema::Value::Kind;
  switch (v.kind) {
    case K::kUnset: sqlite3_bind_null(s, i); return;
    case K::kTime:
    case K::kInterval: sqlite3_bind_double(s, i, seconds_us(v.ns)); return;
    case K::kCount:
    case K::kPort: sqlite3_bind_int64(s, i, static_cast<sqlite3_int64>(v.u)); return;
    case K::kBool: sqlite3_bind_int(s, i, v.b ? 1 : 0); return;
    case K::kAddr:
      buf = v.addr->to_string();
      bind_static(s, i, buf);
      return;
    case K::kEnum: bind_static(s, i, v.s); return;
    case K::kString:
      if (!is_container(zeek_type)) return bind_wire(s, i, v.s, buf);
      // A set the schema gives as one comma-joined string (conn's flags, tunnel_parents): names and uids,
      // which hold no commas.
      buf = "[";
      for (std::size_t p = 0; p <= v.s.size();) {
        std::size_t q = v.s.find(',', p);
        if (q == std::string_view::npos) q = v.s.size();
        if (buf.size() > 1) buf += ',';
        append_json_string(buf, v.s.substr(p, q - p));
        p = q + 1;
      }
      buf += ']';
      bind_static(s, i, buf);
      return;
    case K::kStrings:
      buf = "[";
      for (const std::string& e : *v.strings) {
        if (buf.size() > 1) buf += ',';
        append_json_string(buf, e);
      }
      buf += ']';
      bind_static(s, i, buf);
      return;
    case K::kIntervals:  // whole seconds, written as REAL like every interval
      buf = "[";
      for (std::uint32_t e : *v.seconds) fmt::format_to(std::back_inserter(buf), "{}{}.0", buf.size() > 1 ? "," : "", e);
      buf += ']';
      bind_static(s, i, buf);
      return;
  }
  sqlite3_bind_null(s, i);
}

void bind_json(sqlite3_stmt* s, int i, const nlohmann::ordered_json& v, std::string& buf) {
  using T = nlohmann::ordered_json::value_t;
  switch (v.type()) {
    case T::boolean: sqlite3_bind_int(s, i, v.get<bool>() ? 1 : 0); return;
    case T::number_integer: sqlite3_bind_int64(s, i, v.get<std::int64_t>()); return;
    case T::number_unsigned: sqlite3_bind_int64(s, i, static_cast<sqlite3_int64>(v.get<std::uint64_t>())); return;
    case T::number_float: sqlite3_bind_double(s, i, v.get<double>()); return;
    case T::string: bind_static(s, i, v.get_ref<const std::string&>()); return;
    case T::array:
    case T::object:
      buf = v.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
      bind_static(s, i, buf);
      return;
    default: sqlite3_bind_null(s, i); return;
  }
}

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

// The first column of the first row of SQL as text; nullopt when there is no row. False: SQLite's error in ERR.
bool query_text(sqlite3* db, const char* sql, std::optional<std::string>& out, std::string& err) {
  Stmt st;
  out.reset();
  if (sqlite3_prepare_v2(db, sql, -1, &st.s, nullptr) != SQLITE_OK) {
    err = sqlite3_errmsg(db);
    return false;
  }
  const int rc = sqlite3_step(st.s);
  if (rc == SQLITE_ROW) {
    const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 0));
    out = t ? t : "";
    return true;
  }
  if (rc == SQLITE_DONE) return true;
  err = sqlite3_errmsg(db);
  return false;
}

Result<sqlite3*> open_db(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Error{fmt::format("cannot open: {}", msg)};
  }
  sqlite3_extended_result_codes(db, 1);
  // Opening a database the user did not build must not run code through its schema (views, triggers).
  // (SQLITE_DBCONFIG_DEFENSIVE waits for lock_down(): it would refuse the load's journal_mode = OFF.)
  sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  return db;
}

}  // namespace

std::string_view column_type_name(ColumnType t) {
  switch (t) {
    case ColumnType::kInteger: return "INTEGER";
    case ColumnType::kReal: return "REAL";
    case ColumnType::kText: break;
  }
  return "TEXT";
}

std::string column_name(std::string_view key) {
  std::string s(key);
  std::replace(s.begin(), s.end(), '.', '_');
  return s;
}

ColumnType column_type_of(std::string_view zeek_type) {
  if (zeek_type == "time" || zeek_type == "interval" || zeek_type == "double") return ColumnType::kReal;
  if (zeek_type == "count" || zeek_type == "port" || zeek_type == "int" || zeek_type == "bool") {
    return ColumnType::kInteger;
  }
  return ColumnType::kText;  // addr, string, enum, subnet, and sets/vectors as JSON arrays
}

std::vector<TableSpec> table_specs(bool packets) {
  std::vector<TableSpec> out;
  out.push_back(spec_of("conn", logschema::conn_schema()));
  out.push_back(spec_of("dns", logschema::dns_schema()));
  out.push_back(spec_of("http", logschema::http_schema()));
  out.push_back(spec_of("ssl", logschema::ssl_schema()));
  out.push_back(spec_of("ssh", logschema::ssh_schema()));
  TableSpec alerts{"alerts", {}};
  for (const AlertKey& k : alert_keys()) {
    if (k.name != "record") alerts.columns.push_back({std::string(k.name), column_type_of_json(k.json_type)});
  }
  alerts.columns.push_back({"extra", ColumnType::kText});
  out.push_back(std::move(alerts));
  out.push_back({"files",
                 {{"path", ColumnType::kText},
                  {"sha256", ColumnType::kText},
                  {"size", ColumnType::kInteger},
                  {"packets", ColumnType::kInteger},
                  {"first_ts", ColumnType::kReal},
                  {"last_ts", ColumnType::kReal}}});
  out.push_back({"meta", {{"key", ColumnType::kText}, {"value", ColumnType::kText}}});
  if (packets) {
    TableSpec p{"packets", {}};
    for (const PacketColumn& c : kPacketColumns) {
      const FieldDef* f = find_field(c.field);
      p.columns.push_back({std::string(c.column), f ? column_type_of_field(f->type) : ColumnType::kText});
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string create_table_sql(const TableSpec& spec) {
  std::string sql = fmt::format("CREATE TABLE \"{}\" (", spec.name);
  for (std::size_t i = 0; i < spec.columns.size(); ++i) {
    fmt::format_to(std::back_inserter(sql), "{}\"{}\" {}", i ? ", " : "", spec.columns[i].name,
                   column_type_name(spec.columns[i].type));
  }
  sql += ')';
  return sql;
}

// --- Database

Result<Database> Database::memory() {
  auto db = open_db(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) return db.error();
  Database d(db.value());
  if (auto r = d.exec("PRAGMA journal_mode = OFF"); !r) return r.error();
  return d;
}

Result<Database> Database::create(const std::string& path) {
  auto db = open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!db) return db.error();
  Database d(db.value());
  // A fresh file loaded in one go: a crash leaves a partial file the caller removes, so no journal is needed.
  const std::string pragmas = fmt::format(
      "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA locking_mode = EXCLUSIVE; "
      "PRAGMA application_id = {}; PRAGMA user_version = {};",
      kApplicationId, kSchemaVersion);
  if (auto r = d.exec(pragmas.c_str()); !r) return r.error();
  return d;
}

Result<Database> Database::open_readonly(const std::string& path) {
  auto db = open_db(path, SQLITE_OPEN_READONLY);
  if (!db) return db.error();
  Database d(db.value());
  auto not_ours = [](std::string_view why) {
    return Error{fmt::format("not a pcapscope sql database ({}); build one with pcapscope sql --db FILE CAPTURE...",
                             why)};
  };
  std::optional<std::string> app_id, has_meta, version;
  std::string err;
  if (!query_text(d.get(), "PRAGMA application_id", app_id, err)) return not_ours(err);
  if (!app_id || std::stoll(*app_id) != kApplicationId) {
    return not_ours(fmt::format("application_id {:#x}", app_id ? std::stoll(*app_id) : 0));
  }
  if (!query_text(d.get(), "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'", has_meta, err)) {
    return not_ours(err);
  }
  if (!has_meta) return not_ours("no meta table");
  if (!query_text(d.get(), "SELECT value FROM meta WHERE key = 'schema_version'", version, err)) return not_ours(err);
  if (!version) return not_ours("no schema_version in meta");
  if (*version != std::to_string(kSchemaVersion)) {
    return Error{fmt::format("sql schema version {}, this pcapscope reads version {}: rebuild it from the evidence",
                             *version, kSchemaVersion)};
  }
  return d;
}

Database::~Database() {
  if (db_) sqlite3_close_v2(db_);
}

Result<void> Database::exec(const char* sql) {
  char* msg = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &msg) == SQLITE_OK) return {};
  Error e{msg ? msg : sqlite3_errmsg(db_)};
  sqlite3_free(msg);
  return e;
}

// --- TableWriter

struct TableWriter::Impl {
  struct Table {
    std::string name;
    sqlite3_stmt* insert = nullptr;
    std::uint64_t rows = 0;
    std::vector<std::string> scratch, buf;  // per column: pointers bound SQLITE_STATIC stay valid until the step
  };
  sqlite3* db = nullptr;
  bool in_transaction = false;
  std::string error;
  std::vector<Table> tables;
  std::vector<std::string_view> alert_cols;
  std::vector<const FieldDef*> packet_fields;

  ~Impl() {
    for (Table& t : tables) sqlite3_finalize(t.insert);
    if (in_transaction) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  bool failed() const { return !error.empty(); }
  void step(Table& t) {
    const int rc = sqlite3_step(t.insert);
    if (rc != SQLITE_DONE && error.empty()) error = fmt::format("insert into {}: {}", t.name, sqlite3_errmsg(db));
    sqlite3_reset(t.insert);
    ++t.rows;
  }
  template <class R>
  void insert(TableIndex ti, const logschema::Schema<R>& schema, const R& r) {
    if (failed()) return;
    Table& t = tables[ti];
    logschema::Value v;
    for (std::size_t i = 0; i < schema.fields.size(); ++i) {
      v = {};
      schema.fields[i].get(r, v, t.scratch[i]);
      bind_value(t.insert, static_cast<int>(i + 1), v, schema.fields[i].zeek_type, t.buf[i]);
    }
    step(t);
  }
};

TableWriter::TableWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TableWriter::~TableWriter() = default;

Result<std::unique_ptr<TableWriter>> TableWriter::create(sqlite3* db, bool packets) {
  auto im = std::make_unique<Impl>();
  im->db = db;
  im->alert_cols = alert_columns();
  if (packets) {
    for (const PacketColumn& c : kPacketColumns) {
      const FieldDef* f = find_field(c.field);
      if (!f) return Error{fmt::format("packets: no field {} in the field registry", c.field)};
      im->packet_fields.push_back(f);
    }
  }
  std::string sql = "BEGIN;";
  const std::vector<TableSpec> specs = table_specs(packets);
  for (const TableSpec& spec : specs) sql += create_table_sql(spec) + ";";
  char* msg = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    Error e{fmt::format("creating the tables: {}", msg ? msg : sqlite3_errmsg(db))};
    sqlite3_free(msg);
    return e;
  }
  im->in_transaction = true;
  for (const TableSpec& spec : specs) {
    Impl::Table t;
    t.name = spec.name;
    std::string ins = fmt::format("INSERT INTO \"{}\" VALUES (", spec.name);
    for (std::size_t i = 0; i < spec.columns.size(); ++i) ins += i ? ",?" : "?";
    ins += ')';
    if (sqlite3_prepare_v3(db, ins.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &t.insert, nullptr) != SQLITE_OK) {
      return Error{fmt::format("preparing the insert into {}: {}", spec.name, sqlite3_errmsg(db))};
    }
    t.scratch.resize(spec.columns.size());
    t.buf.resize(spec.columns.size());
    im->tables.push_back(std::move(t));
  }
  return std::unique_ptr<TableWriter>(new TableWriter(std::move(im)));
}

void TableWriter::on_session_end(const SessionRecord& rec) { impl_->insert(kConn, logschema::conn_schema(), rec); }
void TableWriter::on_dns(const DnsLogRecord& r) { impl_->insert(kDns, logschema::dns_schema(), r); }
void TableWriter::on_http(const HttpLogRecord& r) { impl_->insert(kHttp, logschema::http_schema(), r); }
void TableWriter::on_ssl(const SslLogRecord& r) { impl_->insert(kSsl, logschema::ssl_schema(), r); }
void TableWriter::on_ssh(const SshLogRecord& r) { impl_->insert(kSsh, logschema::ssh_schema(), r); }

void TableWriter::emit(detect::Alert a) {
  Impl& im = *impl_;
  if (im.failed()) return;
  // The alert as its JSON record reads (the writer's own rendering), split into columns and extras: no second
  // list of the alert's keys, and the values are exactly those of analyze --format jsonl.
  std::string text;
  append_alert_json(text, a);
  const auto j = nlohmann::ordered_json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    im.error = "insert into alerts: the alert's JSON did not parse";
    return;
  }
  Impl::Table& t = im.tables[kAlerts];
  static const nlohmann::ordered_json kNull;
  for (std::size_t i = 0; i < im.alert_cols.size(); ++i) {
    const auto it = j.find(std::string(im.alert_cols[i]));
    bind_json(t.insert, static_cast<int>(i + 1), it == j.end() ? kNull : *it, t.buf[i]);
  }
  nlohmann::ordered_json extra = nlohmann::ordered_json::object();
  for (const auto& [k, v] : j.items()) {
    if (k != "record" && std::find(im.alert_cols.begin(), im.alert_cols.end(), k) == im.alert_cols.end()) {
      extra[k] = v;
    }
  }
  const int extra_col = static_cast<int>(im.alert_cols.size() + 1);
  if (extra.empty()) {
    sqlite3_bind_null(t.insert, extra_col);
  } else {
    bind_json(t.insert, extra_col, extra, t.buf[im.alert_cols.size()]);
  }
  im.step(t);
}

void TableWriter::on_frame(const DecodedPacket& pkt) {
  Impl& im = *impl_;
  if (im.failed() || im.packet_fields.empty()) return;
  Impl::Table& t = im.tables[kPackets];
  for (std::size_t i = 0; i < im.packet_fields.size(); ++i) {
    const FieldDef& f = *im.packet_fields[i];
    const int col = static_cast<int>(i + 1);
    const FieldValue v = get_field(pkt, f);
    if (!v.present) {
      sqlite3_bind_null(t.insert, col);
      continue;
    }
    switch (f.type) {
      case FieldType::kBool:
      case FieldType::kUInt: sqlite3_bind_int64(t.insert, col, static_cast<sqlite3_int64>(v.u)); break;
      case FieldType::kInt: sqlite3_bind_int64(t.insert, col, v.i); break;
      case FieldType::kTime: sqlite3_bind_double(t.insert, col, seconds_us(v.i)); break;
      case FieldType::kDouble: sqlite3_bind_double(t.insert, col, v.d); break;
      default:
        t.buf[i].clear();
        append_value(t.buf[i], f, v);
        bind_static(t.insert, col, t.buf[i]);
        break;
    }
  }
  im.step(t);
}

void TableWriter::add_file(const FileRow& f) {
  Impl& im = *impl_;
  if (im.failed()) return;
  Impl::Table& t = im.tables[kFiles];
  sqlite3_stmt* s = t.insert;
  bind_static(s, 1, f.path);
  if (f.sha256.empty()) {
    sqlite3_bind_null(s, 2);
  } else {
    bind_static(s, 2, f.sha256);
  }
  if (f.size) {
    sqlite3_bind_int64(s, 3, static_cast<sqlite3_int64>(*f.size));
  } else {
    sqlite3_bind_null(s, 3);
  }
  sqlite3_bind_int64(s, 4, static_cast<sqlite3_int64>(f.packets));
  if (f.first_ns) {
    sqlite3_bind_double(s, 5, seconds_us(*f.first_ns));
  } else {
    sqlite3_bind_null(s, 5);
  }
  if (f.last_ns) {
    sqlite3_bind_double(s, 6, seconds_us(*f.last_ns));
  } else {
    sqlite3_bind_null(s, 6);
  }
  im.step(t);
}

void TableWriter::add_meta(std::string_view key, std::string_view value) {
  Impl& im = *impl_;
  if (im.failed()) return;
  Impl::Table& t = im.tables[kMeta];
  bind_static(t.insert, 1, key);
  bind_static(t.insert, 2, value);
  im.step(t);
}

Result<void> TableWriter::finish() {
  Impl& im = *impl_;
  if (im.failed()) return Error{im.error};
  // The join key of every record table: joins by uid are what the tables are for.
  std::string sql;
  for (std::string_view table : {"conn", "dns", "http", "ssl", "ssh"}) {
    sql += fmt::format("CREATE INDEX \"{0}_uid\" ON \"{0}\" (uid);", table);
  }
  sql += "COMMIT";
  char* msg = nullptr;
  if (sqlite3_exec(im.db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    Error e{fmt::format("finishing the tables: {}", msg ? msg : sqlite3_errmsg(im.db))};
    sqlite3_free(msg);
    return e;
  }
  im.in_transaction = false;
  return {};
}

std::string TableWriter::counts() const {
  std::string s;
  for (const Impl::Table& t : impl_->tables) {
    if (t.name == "meta" || t.name == "files") continue;
    fmt::format_to(std::back_inserter(s), "{}{} {}", s.empty() ? "" : ", ", t.name, t.rows);
  }
  return s;
}

}  // namespace pcapscope::sqltables

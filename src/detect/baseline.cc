// The SQLite baseline store and its in-memory overlay (design: baseline.h).
//
// Opening checks before it writes anything: the header (a text file fails
// with SQLITE_NOTADB on the first read), PRAGMA application_id (ours, or 0 in
// an empty database), user_version (a newer schema is refused rather than
// misread) and PRAGMA quick_check (a truncated or garbled file). Only then,
// and only when learning, does it create the schema and switch to WAL, so a
// file that is not ours keeps every byte.
#include "detect/baseline.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace pcapscope::detect {

namespace {

constexpr int kApplicationId = 0x50435342;  // "PCSB": pcapscope baseline
constexpr int kSchemaVersion = 1;
constexpr int kBusyTimeoutMs = 30'000;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS observations ("
    " kind TEXT NOT NULL, subject TEXT NOT NULL, item TEXT NOT NULL, day INTEGER NOT NULL,"
    " first_ns INTEGER NOT NULL, last_ns INTEGER NOT NULL, count INTEGER NOT NULL,"
    " PRIMARY KEY (kind, subject, item, day)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS runs ("
    " id INTEGER PRIMARY KEY, analyzed_at TEXT NOT NULL, first_ns INTEGER, last_ns INTEGER,"
    " files TEXT NOT NULL, version TEXT NOT NULL, observations INTEGER NOT NULL);";

std::int64_t day_of(std::int64_t ts_ns) {
  std::int64_t d = ts_ns / kNsPerDay;
  return (ts_ns % kNsPerDay < 0) ? d - 1 : d;  // floor, so times before 1970 stay in their own day
}

void merge(std::optional<ObservationSummary>& into, const ObservationSummary& s) {
  if (!into) {
    into = s;
    return;
  }
  into->first_ns = std::min(into->first_ns, s.first_ns);
  into->last_ns = std::max(into->last_ns, s.last_ns);
  into->count += s.count;
}

// Creates the missing directories of PATH's parent with mode 0700 (a baseline says who logs in from where).
Result<void> make_parents(const std::string& path) {
  std::size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0) return {};
  std::string dir = path.substr(0, slash);
  for (std::size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos != dir.size() && dir[pos] != '/') continue;
    std::string part = dir.substr(0, pos);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
      return Error{fmt::format("baseline {}: cannot create directory {}: {}", path, part, std::strerror(errno))};
    }
  }
  return {};
}

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

// Runs a one-value query (PRAGMA application_id ...); false with ERR set on failure.
bool query_int(sqlite3* db, const char* sql, std::int64_t& out, std::string& err) {
  Stmt st;
  if (sqlite3_prepare_v2(db, sql, -1, &st.s, nullptr) != SQLITE_OK) {
    err = sqlite3_errmsg(db);
    return false;
  }
  int rc = sqlite3_step(st.s);
  if (rc == SQLITE_ROW) {
    out = sqlite3_column_int64(st.s, 0);
    return true;
  }
  if (rc == SQLITE_DONE) {
    out = 0;
    return true;
  }
  err = sqlite3_errmsg(db);
  return false;
}

bool exec(sqlite3* db, const char* sql, std::string& err) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) == SQLITE_OK) return true;
  err = msg ? msg : sqlite3_errmsg(db);
  sqlite3_free(msg);
  return false;
}

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

// ---- MemoryObservations ---------------------------------------------------------------------------------------

void MemoryObservations::observe(std::string_view kind, std::string_view subject, std::string_view item,
                                 std::int64_t ts_ns) {
  ++observed_;
  Key key{std::string(kind), std::string(subject), std::string(item), day_of(ts_ns)};
  auto it = rows_.find(key);
  if (it == rows_.end()) {
    if (rows_.size() >= max_rows_) {
      ++dropped_;
      return;
    }
    rows_.emplace(std::move(key), Row{ts_ns, ts_ns, 1});
    return;
  }
  it->second.first_ns = std::min(it->second.first_ns, ts_ns);
  it->second.last_ns = std::max(it->second.last_ns, ts_ns);
  ++it->second.count;
}

std::optional<ObservationSummary> MemoryObservations::item_before(std::string_view kind, std::string_view subject,
                                                                  std::string_view item, std::int64_t before_ns) {
  std::optional<ObservationSummary> out;
  auto it = rows_.lower_bound(Key(std::string(kind), std::string(subject), std::string(item), INT64_MIN));
  for (; it != rows_.end(); ++it) {
    const auto& [k, s, i, d] = it->first;
    if (k != kind || s != subject || i != item) break;
    if (it->second.first_ns < before_ns) merge(out, {it->second.first_ns, it->second.last_ns, it->second.count});
  }
  return out;
}

std::optional<ObservationSummary> MemoryObservations::subject_before(std::string_view kind, std::string_view subject,
                                                                     std::int64_t before_ns) {
  std::optional<ObservationSummary> out;
  auto it = rows_.lower_bound(Key(std::string(kind), std::string(subject), std::string(), INT64_MIN));
  for (; it != rows_.end(); ++it) {
    const auto& [k, s, i, d] = it->first;
    if (k != kind || s != subject) break;
    if (it->second.first_ns < before_ns) merge(out, {it->second.first_ns, it->second.last_ns, it->second.count});
  }
  return out;
}

std::vector<std::string> MemoryObservations::item_list(std::string_view kind, std::string_view subject,
                                                       std::int64_t before_ns) const {
  std::vector<std::string> out;
  auto it = rows_.lower_bound(Key(std::string(kind), std::string(subject), std::string(), INT64_MIN));
  for (; it != rows_.end(); ++it) {
    const auto& [k, s, i, d] = it->first;
    if (k != kind || s != subject) break;
    if (it->second.first_ns < before_ns && (out.empty() || out.back() != i)) out.push_back(i);
  }
  return out;
}

std::uint64_t MemoryObservations::items_before(std::string_view kind, std::string_view subject,
                                               std::int64_t before_ns) {
  return item_list(kind, subject, before_ns).size();
}

// ---- BaselineStore --------------------------------------------------------------------------------------------

BaselineStore::BaselineStore(std::string path, bool learn, sqlite3* db, std::size_t max_overlay_rows)
    : path_(std::move(path)), learn_(learn), db_(db), overlay_(max_overlay_rows) {}

BaselineStore::~BaselineStore() {
  for (sqlite3_stmt* s : stmts_) sqlite3_finalize(s);
  if (db_) sqlite3_close_v2(db_);
}

std::string BaselineStore::default_path() {
  // XDG Base Directory: a relative XDG_DATA_HOME is invalid and must be ignored.
  const char* xdg = std::getenv("XDG_DATA_HOME");
  if (xdg && xdg[0] == '/') return fmt::format("{}/pcapscope/baseline.sqlite", xdg);
  const char* home = std::getenv("HOME");
  if (home && home[0]) return fmt::format("{}/.local/share/pcapscope/baseline.sqlite", home);
  return {};
}

Result<std::unique_ptr<BaselineStore>> BaselineStore::open(const std::string& path, bool learn,
                                                           std::size_t max_overlay_rows) {
  auto refuse = [&](std::string_view why) {
    return Error{fmt::format("baseline {}: {}; left as it is: move it aside or set PCAPSCOPE_BASELINE", path, why)};
  };
  if (path.empty()) return Error{"no baseline path: set PCAPSCOPE_BASELINE (or HOME)"};

  struct stat st {};
  bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && !S_ISREG(st.st_mode)) return refuse("not a regular file");
  if (!exists) {
    if (!learn) return std::unique_ptr<BaselineStore>(new BaselineStore(path, false, nullptr, max_overlay_rows));
    if (auto r = make_parents(path); !r) return r.error();
    // Created here with 0600 rather than by SQLite (0644 under the usual umask); O_EXCL: a concurrent run
    // creating it first is fine, SQLite then opens that file.
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) {
      return Error{fmt::format("baseline {}: cannot create: {}", path, std::strerror(errno))};
    }
    if (fd >= 0) ::close(fd);
  }

  sqlite3* raw = nullptr;
  int flags = (learn ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> db(raw, sqlite3_close_v2);
  if (rc != SQLITE_OK) {
    return Error{fmt::format("baseline {}: cannot open: {}", path, raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc))};
  }
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  sqlite3_extended_result_codes(db.get(), 1);

  // Reads only, until the file is known to be ours.
  std::string err;
  std::int64_t app_id = 0, version = 0, tables = 0;
  auto unreadable = [&](const std::string& why) {
    return refuse(why.find("not a database") != std::string::npos ? why : fmt::format("damaged ({})", why));
  };
  // One read transaction: a concurrent run creating the schema must be seen entirely or not at all.
  if (!exec(db.get(), "BEGIN", err)) return unreadable(err);
  bool read_ok = query_int(db.get(), "PRAGMA application_id", app_id, err) &&
                 query_int(db.get(), "SELECT count(*) FROM sqlite_master", tables, err) &&
                 query_int(db.get(), "PRAGMA user_version", version, err);
  std::string ignored;
  exec(db.get(), "COMMIT", ignored);
  if (!read_ok) return unreadable(err);
  bool empty = app_id == 0 && tables == 0;
  if (!empty) {
    if (app_id != kApplicationId) {
      return refuse(fmt::format("not a pcapscope baseline (an SQLite database of another application: "
                                "application_id {:#x}, {} schema objects)",
                                static_cast<std::uint32_t>(app_id), tables));
    }
    if (version > kSchemaVersion) {
      return refuse(fmt::format("written by a newer pcapscope (schema version {}, this one reads up to {})", version,
                                kSchemaVersion));
    }
    {
      Stmt check;
      if (sqlite3_prepare_v2(db.get(), "PRAGMA quick_check", -1, &check.s, nullptr) != SQLITE_OK) {
        return refuse(fmt::format("damaged ({})", sqlite3_errmsg(db.get())));
      }
      int step = sqlite3_step(check.s);
      if (step != SQLITE_ROW) return refuse(fmt::format("damaged ({})", sqlite3_errmsg(db.get())));
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(check.s, 0));
      std::string first = text ? text : "";
      if (first != "ok") return refuse(fmt::format("damaged (integrity check: {})", first));
    }
    std::int64_t ours = 0;
    if (!query_int(db.get(), "SELECT count(*) FROM sqlite_master WHERE name IN ('observations', 'runs')", ours, err) ||
        ours != 2) {
      return refuse("damaged (tables missing)");
    }
  }

  if (!learn) {
    // An empty database (e.g. a zero-length file) is an empty baseline.
    return std::unique_ptr<BaselineStore>(new BaselineStore(path, false, empty ? nullptr : db.release(),
                                                            max_overlay_rows));
  }

  if (empty) {
    // Two runs may create the schema at once: the second waits for the first's transaction and finds it done.
    if (!exec(db.get(), "BEGIN IMMEDIATE", err)) return Error{fmt::format("baseline {}: cannot lock: {}", path, err)};
    std::int64_t id_now = 0;
    bool ok = query_int(db.get(), "PRAGMA application_id", id_now, err);
    if (ok && id_now == 0) {
      std::string init = fmt::format("{}PRAGMA application_id = {}; PRAGMA user_version = {};", kSchema,
                                     kApplicationId, kSchemaVersion);
      ok = exec(db.get(), init.c_str(), err);
    } else if (ok && id_now != kApplicationId) {
      exec(db.get(), "ROLLBACK", err);
      return refuse("not a pcapscope baseline (became another application's database while opening)");
    }
    if (!ok || !exec(db.get(), "COMMIT", err)) {
      exec(db.get(), "ROLLBACK", ignored);
      return Error{fmt::format("baseline {}: cannot create the schema: {}", path, err)};
    }
  }

  // WAL: readers never wait for the writer. Changing the mode needs the file to itself, so a run that
  // collides with another's switch retries; staying in rollback mode is still correct, only slower.
  for (int attempt = 0; attempt < 50; ++attempt) {
    Stmt mode;
    if (sqlite3_prepare_v2(db.get(), "PRAGMA journal_mode = WAL", -1, &mode.s, nullptr) != SQLITE_OK) break;
    int step = sqlite3_step(mode.s);
    if (step == SQLITE_ROW) break;
    if ((step & 0xff) != SQLITE_BUSY && (step & 0xff) != SQLITE_LOCKED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::unique_ptr<BaselineStore>(new BaselineStore(path, true, db.release(), max_overlay_rows));
}

sqlite3_stmt* BaselineStore::prepare(int slot, const char* sql) {
  if (!db_ || !query_error_.empty()) return nullptr;
  if (!stmts_[slot] && sqlite3_prepare_v2(db_, sql, -1, &stmts_[slot], nullptr) != SQLITE_OK) {
    note_error(sqlite3_errmsg(db_));
    return nullptr;
  }
  sqlite3_reset(stmts_[slot]);
  sqlite3_clear_bindings(stmts_[slot]);
  return stmts_[slot];
}

void BaselineStore::note_error(std::string_view what) {
  if (query_error_.empty()) query_error_ = std::string(what);
}

void BaselineStore::observe(std::string_view kind, std::string_view subject, std::string_view item,
                            std::int64_t ts_ns) {
  overlay_.observe(kind, subject, item, ts_ns);
}

namespace {
void bind_text(sqlite3_stmt* s, int i, std::string_view v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}
}  // namespace

// Runs S, a "min(first_ns), max(last_ns), sum(count), count(*)" query, and merges its row into OUT.
void BaselineStore::step_summary(sqlite3_stmt* s, std::optional<ObservationSummary>& out) {
  if (sqlite3_step(s) != SQLITE_ROW) {
    note_error(sqlite3_errmsg(db_));
  } else if (sqlite3_column_int64(s, 3) > 0) {
    merge(out, {sqlite3_column_int64(s, 0), sqlite3_column_int64(s, 1),
                static_cast<std::uint64_t>(sqlite3_column_int64(s, 2))});
  }
  sqlite3_reset(s);
}

std::optional<ObservationSummary> BaselineStore::item_before(std::string_view kind, std::string_view subject,
                                                             std::string_view item, std::int64_t before_ns) {
  std::optional<ObservationSummary> out = overlay_.item_before(kind, subject, item, before_ns);
  sqlite3_stmt* s = prepare(0,
                            "SELECT min(first_ns), max(last_ns), sum(count), count(*) FROM observations "
                            "WHERE kind = ?1 AND subject = ?2 AND item = ?3 AND first_ns < ?4");
  if (!s) return out;
  ++queries_;
  bind_text(s, 1, kind);
  bind_text(s, 2, subject);
  bind_text(s, 3, item);
  sqlite3_bind_int64(s, 4, before_ns);
  step_summary(s, out);
  return out;
}

std::optional<ObservationSummary> BaselineStore::subject_before(std::string_view kind, std::string_view subject,
                                                                std::int64_t before_ns) {
  std::optional<ObservationSummary> out = overlay_.subject_before(kind, subject, before_ns);
  sqlite3_stmt* s = prepare(1,
                            "SELECT min(first_ns), max(last_ns), sum(count), count(*) FROM observations "
                            "WHERE kind = ?1 AND subject = ?2 AND first_ns < ?3");
  if (!s) return out;
  ++queries_;
  bind_text(s, 1, kind);
  bind_text(s, 2, subject);
  sqlite3_bind_int64(s, 3, before_ns);
  step_summary(s, out);
  return out;
}

std::uint64_t BaselineStore::items_before(std::string_view kind, std::string_view subject, std::int64_t before_ns) {
  std::vector<std::string> mine = overlay_.item_list(kind, subject, before_ns);
  sqlite3_stmt* s = prepare(2,
                            "SELECT count(DISTINCT item) FROM observations "
                            "WHERE kind = ?1 AND subject = ?2 AND first_ns < ?3");
  if (!s) return mine.size();
  ++queries_;
  bind_text(s, 1, kind);
  bind_text(s, 2, subject);
  sqlite3_bind_int64(s, 3, before_ns);
  std::uint64_t n = 0;
  if (sqlite3_step(s) == SQLITE_ROW) {
    n = static_cast<std::uint64_t>(sqlite3_column_int64(s, 0));
  } else {
    note_error(sqlite3_errmsg(db_));
  }
  sqlite3_reset(s);
  // The overlay's items that the file does not have yet add to the file's count.
  for (const std::string& item : mine) {
    sqlite3_stmt* q = prepare(0,
                              "SELECT min(first_ns), max(last_ns), sum(count), count(*) FROM observations "
                              "WHERE kind = ?1 AND subject = ?2 AND item = ?3 AND first_ns < ?4");
    if (!q) return std::max<std::uint64_t>(n, mine.size());
    bind_text(q, 1, kind);
    bind_text(q, 2, subject);
    bind_text(q, 3, item);
    sqlite3_bind_int64(q, 4, before_ns);
    if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int64(q, 3) == 0) ++n;
    sqlite3_reset(q);
  }
  return n;
}

Result<void> BaselineStore::commit(const RunInfo& run) {
  if (!learn_) return {};
  if (!db_) return Error{fmt::format("baseline {}: not open for learning", path_)};
  if (!query_error_.empty()) {
    return Error{fmt::format("baseline {}: reading failed during the run ({}); nothing learned", path_, query_error_)};
  }
  std::string err;
  if (!exec(db_, "BEGIN IMMEDIATE", err)) {
    return Error{fmt::format("baseline {}: cannot lock for writing (another run holds it?): {}", path_, err)};
  }
  auto abort = [&](std::string_view what) {
    std::string msg = fmt::format("baseline {}: {}: {}; nothing learned", path_, what, sqlite3_errmsg(db_));
    std::string ignored;
    exec(db_, "ROLLBACK", ignored);
    return Error{std::move(msg)};
  };
  {
    Stmt up;
    if (sqlite3_prepare_v2(db_,
                           "INSERT INTO observations (kind, subject, item, day, first_ns, last_ns, count) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (kind, subject, item, day) DO UPDATE SET "
                           "first_ns = min(first_ns, excluded.first_ns), last_ns = max(last_ns, excluded.last_ns), "
                           "count = count + excluded.count",
                           -1, &up.s, nullptr) != SQLITE_OK) {
      return abort("cannot prepare the update");
    }
    for (const auto& [key, row] : overlay_.rows()) {
      const auto& [kind, subject, item, day] = key;
      sqlite3_reset(up.s);
      bind_text(up.s, 1, kind);
      bind_text(up.s, 2, subject);
      bind_text(up.s, 3, item);
      sqlite3_bind_int64(up.s, 4, day);
      sqlite3_bind_int64(up.s, 5, row.first_ns);
      sqlite3_bind_int64(up.s, 6, row.last_ns);
      sqlite3_bind_int64(up.s, 7, static_cast<std::int64_t>(row.count));
      if (sqlite3_step(up.s) != SQLITE_DONE) return abort("cannot write observations");
    }
  }
  {
    nlohmann::json files = nlohmann::json::array();
    for (const RunInfo::File& f : run.files) files.push_back({{"path", f.path}, {"sha256", f.sha256}});
    std::string files_text = files.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string now = utc_now();
    Stmt ins;
    if (sqlite3_prepare_v2(db_,
                           "INSERT INTO runs (analyzed_at, first_ns, last_ns, files, version, observations) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                           -1, &ins.s, nullptr) != SQLITE_OK) {
      return abort("cannot prepare the run record");
    }
    bind_text(ins.s, 1, now);
    if (run.first_ns || run.last_ns) {
      sqlite3_bind_int64(ins.s, 2, run.first_ns);
      sqlite3_bind_int64(ins.s, 3, run.last_ns);
    }
    bind_text(ins.s, 4, files_text);
    bind_text(ins.s, 5, run.version);
    sqlite3_bind_int64(ins.s, 6, static_cast<std::int64_t>(overlay_.observed() - overlay_.dropped()));
    if (sqlite3_step(ins.s) != SQLITE_DONE) return abort("cannot write the run record");
  }
  if (!exec(db_, "COMMIT", err)) return abort("cannot commit");
  committed_rows_ = overlay_.rows().size();
  return {};
}

std::string BaselineStore::stats() const {
  std::string out = fmt::format("baseline {} ({}): {} observations this run in {} day rows, {} dropped at the cap; "
                                "{} queries of the file",
                                path_, learn_ ? "learning" : "read-only", overlay_.observed(), overlay_.rows().size(),
                                overlay_.dropped(), queries_);
  if (committed_rows_) out += fmt::format("; {} rows learned", committed_rows_);
  if (!query_error_.empty()) out += fmt::format("; reading failed: {}", query_error_);
  return out;
}

}  // namespace pcapscope::detect

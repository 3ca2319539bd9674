// `pcapscope sql FILE... QUERY`: SQL over the evidence's records. The same
// pass as `analyze --no-learn` (SessionTable -> ProtocolStage -> detect
// Engine, the baseline opened read-only) loads conn, dns, http, ssl, ssh,
// alerts (and with --packets one row per frame) into SQLite tables, then the
// query runs with the connection locked down (no ATTACH, no writes, no
// pragmas that change anything): output/sqlite_tables.h has the tables,
// output/sql_functions.h the functions, docs/sql.md both.
//
// --db CASE.sqlite keeps the tables in a file, built under a temporary name
// beside it and moved into place only when complete, so a killed run never
// leaves a half-built case file under the name a later query opens; with no
// FILE, --db opens such a file read-only.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/pipeline.h"
#include "cli/progress.h"
#include "cli/selection.h"
#include "cli/session_options.h"
#include "core/evidence_file.h"
#include "core/time_format.h"
#include "detect/engine.h"
#include "output/sql_functions.h"
#include "output/sql_query.h"
#include "output/sqlite_tables.h"
#include "pcapscope/decode.h"
#include "pcapscope/proto.h"
#include "pcapscope/session.h"

#ifndef PCAPSCOPE_VERSION
#define PCAPSCOPE_VERSION "dev"
#endif

namespace pcapscope::cli {
namespace {

struct SqlOptions {
  std::vector<std::string> args;  // FILE... QUERY
  std::string db;
  std::string format = "table";
  bool packets = false;
  bool force = false;
  bool no_hash = false;
  std::string bpf;  // capture filter (--bpf)
  ConfigFlags config;
};

// The partial --db file of this run, removed at exit unless it was moved into place: die() exits from anywhere,
// and an interrupted build (Ctrl-C, kill) must not leave it behind either. A fixed buffer: the signal handler
// may only read plain memory.
char g_partial[4096];

void remove_partial() {
  if (g_partial[0]) ::unlink(g_partial);
}

extern "C" void remove_partial_on_signal(int sig) {
  remove_partial();
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void set_partial(const std::string& path) {
  if (path.size() >= sizeof g_partial) die(path, "path too long");
  std::memcpy(g_partial, path.c_str(), path.size() + 1);
  std::atexit(remove_partial);
  for (int sig : {SIGINT, SIGTERM, SIGHUP}) std::signal(sig, remove_partial_on_signal);
}

bool names_input(const std::string& arg) {
  struct stat st {};
  return arg == "-" || ::stat(arg.c_str(), &st) == 0;
}

// FILE... QUERY: the last positional is the query. With --db it may be left out (build only): then the last
// positional names an existing file (or is "-"), which a query never does.
void split_args(const SqlOptions& opt, std::vector<std::string>& files, std::string& query) {
  files = opt.args;
  if (files.empty()) die("sql", "no query given (pcapscope sql FILE... QUERY, or --db CASE.sqlite QUERY)");
  if (!opt.db.empty() && names_input(files.back())) return;
  if (names_input(files.back())) {
    die("sql", fmt::format("no query given: the last argument must be the SQL query, and \"{}\" is a file "
                           "(pcapscope sql FILE... QUERY)",
                           files.back()));
  }
  query = std::move(files.back());
  files.pop_back();
  if (files.empty() && opt.db.empty()) {
    const char* env = std::getenv("PCAPSCOPE_PCAP");
    if (!env || !*env) die("input", "no capture file given (name one, or set PCAPSCOPE_PCAP)");
    files.emplace_back(env);
  }
}

// --db with FILEs: refused when it is an input (even with --force) or exists (without it).
void check_db_target(const SqlOptions& opt, const std::vector<std::string>& inputs) {
  for (const std::string& in : inputs) {
    if (in == opt.db || same_file(in, opt.db)) {
      die(opt.db, "refusing to overwrite an input file (evidence is read-only)");
    }
  }
  struct stat st {};
  if (::stat(opt.db.c_str(), &st) == 0 && !opt.force) die(opt.db, "exists (use --force to replace it)");
}

// Moves the finished PARTIAL to PATH: without --force only if PATH still does not exist (link fails then).
void install_db(const std::string& partial, const std::string& path, bool force) {
  if (force) {
    if (::rename(partial.c_str(), path.c_str()) != 0) die(path, std::strerror(errno));
  } else {
    if (::link(partial.c_str(), path.c_str()) != 0) {
      die(path, errno == EEXIST ? "exists (use --force to replace it)" : std::strerror(errno));
    }
    ::unlink(partial.c_str());
  }
  g_partial[0] = '\0';
}

std::string now_iso8601() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return format_iso8601(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
}

// The analysis pass into DB's tables (analyze --no-learn with the tables as the only output).
void build(const SqlOptions& opt, const config::Config& config, const std::vector<std::string>& inputs,
           sqltables::Database& db, Timeline& tl, DetectStores& stores) {
  auto writer_r = sqltables::TableWriter::create(db.get(), opt.packets);
  if (!writer_r) die("sql", writer_r.error().message);
  sqltables::TableWriter& writer = *writer_r.value();

  detect::Engine engine(config, config.networks("internal"), config.networks("whitelist"), writer,
                        stores.baseline.get(), stores.geoip.get(), &writer, &writer);
  ProtocolStage stage(ProtocolOptions{}, &engine, &engine);
  SessionTable table(session_options_from_config(config), &stage);

  std::future<std::vector<std::string>> hashes;
  if (!opt.no_hash) hashes = hash_inputs(inputs);

  struct PerFile {
    std::uint64_t packets = 0;
    std::int64_t first_ns = 0, last_ns = 0;
  };
  std::vector<PerFile> files(tl.file_count());
  Progress progress("sql", total_size(inputs));
  std::uint64_t done_bytes = 0;
  Packet pkt;
  DecodedPacket dp;
  while (tl.next(pkt)) {
    PerFile& f = files[pkt.source];
    if (f.packets++ == 0) f.first_ns = f.last_ns = pkt.ts_ns;
    f.first_ns = std::min(f.first_ns, pkt.ts_ns);
    f.last_ns = std::max(f.last_ns, pkt.ts_ns);
    done_bytes += pkt.data.size() + 16;
    progress.tick(done_bytes);
    decode(pkt, dp);
    const SessionRecord* r = table.process(dp);
    if (opt.packets) {
      // The live record's uid, as `packets --fields uid` shows it; valid until the next process().
      dp.session_uid = r ? r->uid_view() : std::string_view();
      writer.on_frame(dp);
    }
  }
  table.finish();
  engine.finish();
  progress.done();

  const std::vector<std::string> sha = hashes.valid() ? hashes.get() : std::vector<std::string>();
  for (std::size_t i = 0; i < files.size(); ++i) {
    const FileSummary& s = tl.summary(i);
    sqltables::FileRow row;
    row.path = s.path;
    row.sha256 = i < sha.size() ? sha[i] : "";
    if (s.path != "-") row.size = s.file_bytes;
    row.packets = files[i].packets;
    if (files[i].packets) {
      row.first_ns = files[i].first_ns;
      row.last_ns = files[i].last_ns;
    }
    writer.add_file(row);
  }
  writer.add_meta("pcapscope_version", PCAPSCOPE_VERSION);
  writer.add_meta("created_at", now_iso8601());
  writer.add_meta("schema_version", std::to_string(sqltables::kSchemaVersion));
  writer.add_meta("packets_table", opt.packets ? "1" : "0");
  // The tables describe only what the capture filter passed: a later reader of the case file must know.
  writer.add_meta("bpf", opt.bpf);
  if (stores.baseline) writer.add_meta("baseline", stores.baseline->stats());
  if (auto r = writer.finish(); !r) die("sql", r.error().message);
  if (!opt.db.empty()) fmt::print(stderr, "pcapscope: sql: wrote {}: {}\n", opt.db, writer.counts());
  report_damage(tl);
}

void query(const SqlOptions& opt, sqlite3* db, const detect::GeoIp* geoip, const std::string& sql) {
  if (auto r = register_sql_functions(db, geoip); !r) die("sql", r.error().message);
  if (auto r = lock_down(db); !r) die("sql", r.error().message);
  const SqlFormat format = opt.format == "csv"                          ? SqlFormat::kCsv
                           : opt.format == "json" || opt.format == "jsonl" ? SqlFormat::kJson
                                                                           : SqlFormat::kTable;
  auto r = run_query(db, sql, format, [](std::string_view s) { Stdout::write(s); });
  if (!r) {
    Stdout::flush();
    std::string msg = r.error().message;
    if (msg == "no such table: packets") msg += " (it is built with --packets)";
    if (msg == "not authorized") msg += " (queries cannot ATTACH, DETACH or change settings with PRAGMA)";
    die("sql", msg);
  }
  Stdout::flush();
}

int run(const SqlOptions& opt) {
  std::vector<std::string> inputs;
  std::string sql;
  split_args(opt, inputs, sql);
  const config::Config config = resolve_config(opt.config);

  if (inputs.empty()) {
    // --db CASE.sqlite QUERY: the case file as it is, read-only.
    auto db = sqltables::Database::open_readonly(opt.db);
    if (!db) die(opt.db, db.error().message);
    const auto geoip = open_geoip(config);
    query(opt, db.value().get(), geoip.get(), sql);
    return kExitOk;
  }

  if (!opt.db.empty()) check_db_target(opt, inputs);
  // Read-only: sql never teaches the baseline (a query is not a new observation of the network).
  DetectStores stores = open_detect_stores(config, false);
  Timeline tl = open_inputs(inputs, reading_options(config, opt.bpf));

  if (opt.db.empty()) {
    auto db = sqltables::Database::memory();
    if (!db) die("sql", db.error().message);
    build(opt, config, inputs, db.value(), tl, stores);
    query(opt, db.value().get(), stores.geoip.get(), sql);
    return kExitOk;
  }

  const std::string partial = fmt::format("{}.partial-{}", opt.db, ::getpid());
  set_partial(partial);
  {
    auto db = sqltables::Database::create(partial);
    if (!db) die(partial, db.error().message);
    build(opt, config, inputs, db.value(), tl, stores);
  }
  install_db(partial, opt.db, opt.force);
  if (sql.empty()) return kExitOk;
  auto db = sqltables::Database::open_readonly(opt.db);
  if (!db) die(opt.db, db.error().message);
  query(opt, db.value().get(), stores.geoip.get(), sql);
  return kExitOk;
}

}  // namespace

void add_sql_command(CLI::App& app, int& exit_code) {
  auto opt = std::make_shared<SqlOptions>();
  auto* cmd = app.add_subcommand(
      "sql",
      "SQL over the evidence's records (SQLite): tables conn, dns, http, ssl, ssh, alerts, files, meta "
      "(and packets with --packets), built in one pass as analyze --no-learn would; see docs/sql.md");
  cmd->footer(
      "Arguments: FILE... QUERY. The last argument is always the query; with --db it may be left out to build "
      "the file only (the last argument then names an existing capture). --db CASE.sqlite QUERY with no FILE "
      "queries an existing case file read-only.\n"
      "Columns are the record keys of `pcapscope fields --records` with '.' written '_' (id_orig_h); times are "
      "REAL seconds since the epoch, sets and vectors JSON arrays (json_each). Several statements run in order; "
      "the rows of the last one are printed. Queries cannot write: no ATTACH, no INSERT, no changing pragmas.\n"
      "Functions: in_cidr(addr, cidr), registered_domain(name), entropy(text), country(addr) (needs geoip_db).\n"
      "Example: pcapscope sql incidents.pcap \"SELECT registered_domain(query) AS d, count(*) AS n FROM dns "
      "GROUP BY d ORDER BY n DESC LIMIT 5\"");
  cmd->add_option("args", opt->args, "Capture files (- for stdin), then the SQL query")->type_name("FILE... QUERY");
  cmd->add_option("--db", opt->db,
                  "Keep the tables in this SQLite file (with FILEs: build it, refusing an existing file without "
                  "--force; without FILEs: open it read-only and run the query)")
      ->type_name("CASE.sqlite");
  cmd->add_option("--format", opt->format,
                  "Rows as: table (aligned, NULL as -), json (JSON Lines, one object a row), csv (RFC 4180)")
      ->check(CLI::IsMember({"table", "text", "json", "jsonl", "csv"}));
  cmd->add_flag("--packets", opt->packets,
                "Also build the packets table: one row per frame with a fixed set of fields (docs/sql.md)");
  cmd->add_flag("--force", opt->force, "Replace an existing --db file (never an input)");
  cmd->add_flag("--no-hash", opt->no_hash, "Skip the SHA-256 of the inputs (files.sha256 is NULL)");
  add_bpf_option(*cmd, opt->bpf);
  add_config_flags(*cmd, opt->config, {"exfil_ratio", "exfil_min_bytes", "whitelist", "internal", "baseline",
                                       "geoip_db"});
  // One value per --set: a repeatable option would otherwise swallow the positional query after it.
  if (auto* set = cmd->get_option_no_throw("--set")) set->allow_extra_args(false);
  cmd->callback([opt, &exit_code] { exit_code = run(*opt); });
}

}  // namespace pcapscope::cli

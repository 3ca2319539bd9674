// The baseline: what earlier analyses saw, so a detector can ask "was this
// seen in the previous N days?" (ssh_new_network: client networks per SSH
// server). RITA keeps the same kind of memory in MongoDB between imports and
// Zeek's known-hosts/known-services scripts keep it in a broker store; here it
// is one SQLite file, which needs no server, survives crashes (WAL) and lets
// concurrent analyze runs share it.
//
// Data model, generic on purpose: an observation is (kind, subject, item) at
// a capture time, e.g. ("ssh_client_network", "192.0.2.10", "198.51.100.0/24").
// Rows aggregate one UTC day: (kind, subject, item, day) -> first_ns, last_ns,
// count. A day row keeps the store small (a busy server's logins collapse to
// one row per network per day) while first_ns/last_ns keep the exact edges.
//
// "Seen in the previous N days" for an event at ts means: some row with
// first_ns < ts and last_ns >= ts - N days. The comparison with first_ns is
// strict, so re-analysing a capture that was already learned gives the same
// answers as the first time (an event never sees itself or anything later in
// its own row's first observation). The approximation: a row that starts
// before ts - N and ends after ts counts as seen although its observations
// inside the window might all be at or after ts; that can only happen within
// one day's row, so the window's old edge is fuzzy by at most a day.
//
// What one run observes goes into an in-memory overlay (MemoryObservations)
// that every later query of the same run sees, with or without learning;
// commit() writes the overlay in ONE transaction (BEGIN IMMEDIATE, 30 s busy
// timeout, WAL), merging rows by min(first)/max(last)/sum(count), so two runs
// at once both succeed and neither loses the other's rows.
//
// A file that is not a pcapscope baseline (application_id), a damaged one
// (quick_check at open) or one with a newer schema (user_version) is an
// error naming the path and the reason; it is never written to or reset:
// losing months of baseline silently would turn every login into an alert.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "pcapscope/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace pcapscope::detect {

inline constexpr std::int64_t kNsPerDay = 86'400'000'000'000;

// What the rows of one (kind, subject, item) or one (kind, subject) sum to.
struct ObservationSummary {
  std::int64_t first_ns = 0;  // earliest observation
  std::int64_t last_ns = 0;   // latest (may lie after the query's BEFORE within the same day row)
  std::uint64_t count = 0;
};

// What detectors ask and tell. Queries consider rows with first_ns < BEFORE_NS only (see the header comment).
class Observations {
 public:
  virtual ~Observations() = default;
  virtual void observe(std::string_view kind, std::string_view subject, std::string_view item, std::int64_t ts_ns) = 0;
  virtual std::optional<ObservationSummary> item_before(std::string_view kind, std::string_view subject,
                                                        std::string_view item, std::int64_t before_ns) = 0;
  virtual std::optional<ObservationSummary> subject_before(std::string_view kind, std::string_view subject,
                                                           std::int64_t before_ns) = 0;
  // How many distinct items (kind, subject) has.
  virtual std::uint64_t items_before(std::string_view kind, std::string_view subject, std::int64_t before_ns) = 0;
};

// Observations in memory: a run's overlay, and the whole memory of a detector without a store (tests,
// no baseline). Capped in rows; observations of new rows beyond the cap are dropped and counted.
class MemoryObservations final : public Observations {
 public:
  struct Row {
    std::int64_t first_ns = 0, last_ns = 0;
    std::uint64_t count = 0;
  };
  using Key = std::tuple<std::string, std::string, std::string, std::int64_t>;  // kind, subject, item, day

  explicit MemoryObservations(std::size_t max_rows = 1'000'000) : max_rows_(max_rows) {}

  void observe(std::string_view kind, std::string_view subject, std::string_view item, std::int64_t ts_ns) override;
  std::optional<ObservationSummary> item_before(std::string_view kind, std::string_view subject,
                                                std::string_view item, std::int64_t before_ns) override;
  std::optional<ObservationSummary> subject_before(std::string_view kind, std::string_view subject,
                                                   std::int64_t before_ns) override;
  std::uint64_t items_before(std::string_view kind, std::string_view subject, std::int64_t before_ns) override;
  // The distinct items of (kind, subject) with a row before BEFORE_NS.
  std::vector<std::string> item_list(std::string_view kind, std::string_view subject, std::int64_t before_ns) const;

  const std::map<Key, Row, std::less<>>& rows() const { return rows_; }
  std::uint64_t dropped() const { return dropped_; }
  std::uint64_t observed() const { return observed_; }

 private:
  std::map<Key, Row, std::less<>> rows_;
  std::size_t max_rows_;
  std::uint64_t dropped_ = 0, observed_ = 0;
};

// Provenance of one analyze run, written to the runs table with what it learned.
struct RunInfo {
  std::int64_t first_ns = 0, last_ns = 0;  // capture time range (0, 0: unknown)
  struct File {
    std::string path;
    std::string sha256;  // as given (may be empty)
  };
  std::vector<File> files;
  std::string version;  // pcapscope version
};

class BaselineStore final : public Observations {
 public:
  // LEARN: read-write, creating the file (mode 0600) and its parent directories (mode 0700) when missing.
  // !LEARN: read-only; a missing file is an empty baseline. A file that is not a pcapscope baseline, a
  // damaged one or one with a newer schema is an Error naming the path and why; the file is left untouched.
  static Result<std::unique_ptr<BaselineStore>> open(const std::string& path, bool learn,
                                                     std::size_t max_overlay_rows = 1'000'000);
  // $XDG_DATA_HOME/pcapscope/baseline.sqlite, else $HOME/.local/share/pcapscope/baseline.sqlite (empty: neither set).
  static std::string default_path();

  ~BaselineStore() override;
  BaselineStore(const BaselineStore&) = delete;
  BaselineStore& operator=(const BaselineStore&) = delete;

  const std::string& path() const { return path_; }
  bool learning() const { return learn_; }

  // Queries see the file (as it is at the time of the query) plus this run's overlay.
  void observe(std::string_view kind, std::string_view subject, std::string_view item, std::int64_t ts_ns) override;
  std::optional<ObservationSummary> item_before(std::string_view kind, std::string_view subject,
                                                std::string_view item, std::int64_t before_ns) override;
  std::optional<ObservationSummary> subject_before(std::string_view kind, std::string_view subject,
                                                   std::int64_t before_ns) override;
  std::uint64_t items_before(std::string_view kind, std::string_view subject, std::int64_t before_ns) override;

  // Writes this run's observations and a runs row in ONE transaction; a no-op when !learn. Fails (and writes
  // nothing) when a query failed during the run, since the run's answers were then incomplete.
  Result<void> commit(const RunInfo& run = {});

  const MemoryObservations& overlay() const { return overlay_; }
  // The first error a query met (empty: none); queries then answer from the overlay alone.
  const std::string& query_error() const { return query_error_; }
  // One line for the report: rows read and learned, overlay drops, errors.
  std::string stats() const;

 private:
  BaselineStore(std::string path, bool learn, sqlite3* db, std::size_t max_overlay_rows);
  sqlite3_stmt* prepare(int slot, const char* sql);
  void note_error(std::string_view what);
  void step_summary(sqlite3_stmt* s, std::optional<ObservationSummary>& out);

  std::string path_;
  bool learn_;
  sqlite3* db_;  // null: no file (read-only and missing, or an empty database)
  MemoryObservations overlay_;
  sqlite3_stmt* stmts_[3] = {nullptr, nullptr, nullptr};
  std::string query_error_;
  std::uint64_t queries_ = 0, committed_rows_ = 0;
};

}  // namespace pcapscope::detect

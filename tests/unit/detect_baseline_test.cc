// The baseline store: learning and reading back, the in-memory overlay,
// the strict "before" rule, provenance, damaged files left untouched, and
// two processes learning into one file at once.
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "detect/baseline.h"

namespace pcapscope::detect {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kT0 = 1'700'000'000'000'000'000;
constexpr std::int64_t kHour = 3'600'000'000'000;
constexpr std::string_view kKind = "ssh_client_network";

// A fresh directory per test.
std::string temp_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(PCAPSCOPE_TEST_TMPDIR) / fmt::format("baseline-{}-{}-{}", info->name(), ::getpid(), rand());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::unique_ptr<BaselineStore> open_ok(const std::string& path, bool learn) {
  auto r = BaselineStore::open(path, learn);
  if (!r) {
    ADD_FAILURE() << r.error().message;
    return nullptr;
  }
  return std::move(r).value();
}

// A committed baseline with N networks of one server (many pages, so damage can hit b-tree pages).
void make_baseline(const std::string& path, int n) {
  auto store = open_ok(path, true);
  ASSERT_TRUE(store);
  for (int i = 0; i < n; ++i) {
    store->observe(kKind, "192.0.2.10", fmt::format("198.51.{}.{}/32 padding-to-fill-pages-quickly", i / 250, i % 250),
                   kT0 + i);
  }
  ASSERT_TRUE(store->commit().ok());
}

std::int64_t sql_int(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  std::int64_t v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

TEST(DetectBaseline, MemoryObservationsAggregatesDaysAndIsStrictlyBefore) {
  MemoryObservations m;
  m.observe(kKind, "s", "a", kT0);
  m.observe(kKind, "s", "a", kT0 + kHour);
  m.observe(kKind, "s", "a", kT0 + 3 * kNsPerDay);
  m.observe(kKind, "s", "b", kT0 + 2 * kHour);
  m.observe(kKind, "t", "c", kT0);
  EXPECT_EQ(m.rows().size(), 4u);  // a's first two share a day row

  EXPECT_FALSE(m.item_before(kKind, "s", "a", kT0));  // strictly before: an event never sees itself
  auto a = m.item_before(kKind, "s", "a", kT0 + 1);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first_ns, kT0);
  EXPECT_EQ(a->last_ns, kT0 + kHour);  // the day row's edge, although it lies after the query time
  EXPECT_EQ(a->count, 2u);
  auto all = m.item_before(kKind, "s", "a", kT0 + 4 * kNsPerDay);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->last_ns, kT0 + 3 * kNsPerDay);
  EXPECT_EQ(all->count, 3u);

  EXPECT_EQ(m.items_before(kKind, "s", kT0 + 1), 1u);
  EXPECT_EQ(m.items_before(kKind, "s", kT0 + 3 * kHour), 2u);
  EXPECT_EQ(m.items_before(kKind, "t", kT0 + 1), 1u);
  EXPECT_FALSE(m.subject_before(kKind, "u", kT0 + kNsPerDay));
  EXPECT_FALSE(m.subject_before("other_kind", "s", kT0 + kNsPerDay));
  EXPECT_EQ(m.subject_before(kKind, "s", kT0 + 3 * kHour)->count, 3u);
}

TEST(DetectBaseline, MemoryObservationsCapCountsDrops) {
  MemoryObservations m(2);
  m.observe(kKind, "s", "a", kT0);
  m.observe(kKind, "s", "b", kT0);
  m.observe(kKind, "s", "c", kT0);  // a third row: dropped
  m.observe(kKind, "s", "a", kT0 + 1);  // an existing row still updates
  EXPECT_EQ(m.rows().size(), 2u);
  EXPECT_EQ(m.dropped(), 1u);
  EXPECT_EQ(m.item_before(kKind, "s", "a", kT0 + 2)->count, 2u);
  EXPECT_FALSE(m.item_before(kKind, "s", "c", kT0 + 2));
}

TEST(DetectBaseline, DefaultPathFollowsXdg) {
  const char* old_xdg = std::getenv("XDG_DATA_HOME");
  std::string saved = old_xdg ? old_xdg : "";
  ::setenv("XDG_DATA_HOME", "/data/x", 1);
  EXPECT_EQ(BaselineStore::default_path(), "/data/x/pcapscope/baseline.sqlite");
  ::setenv("XDG_DATA_HOME", "relative/ignored", 1);
  ::setenv("HOME", std::getenv("HOME") ? std::getenv("HOME") : "/root", 1);
  EXPECT_EQ(BaselineStore::default_path(), fmt::format("{}/.local/share/pcapscope/baseline.sqlite", std::getenv("HOME")));
  if (old_xdg) {
    ::setenv("XDG_DATA_HOME", saved.c_str(), 1);
  } else {
    ::unsetenv("XDG_DATA_HOME");
  }
}

TEST(DetectBaseline, ReadOnlyMissingFileIsEmptyAndNotCreated) {
  std::string path = temp_dir() + "/none/baseline.sqlite";
  auto store = open_ok(path, false);
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->subject_before(kKind, "s", kT0));
  store->observe(kKind, "s", "a", kT0);  // the overlay works without a file and without learning
  EXPECT_TRUE(store->item_before(kKind, "s", "a", kT0 + 1));
  EXPECT_TRUE(store->commit().ok());
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(fs::exists(fs::path(path).parent_path()));
}

TEST(DetectBaseline, LearnCreatesPrivateFileAndReadsBack) {
  std::string dir = temp_dir();
  std::string path = dir + "/a/b/baseline.sqlite";
  {
    auto store = open_ok(path, true);
    ASSERT_TRUE(store);
    struct stat st {};
    ASSERT_EQ(::stat((dir + "/a").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    store->observe(kKind, "192.0.2.10", "198.51.100.0/24", kT0);
    store->observe(kKind, "192.0.2.10", "198.51.100.0/24", kT0 + kHour);
    store->observe(kKind, "192.0.2.10", "203.0.113.0/24", kT0 + 2 * kNsPerDay);
    RunInfo run;
    run.first_ns = kT0;
    run.last_ns = kT0 + 2 * kNsPerDay;
    run.files.push_back({"/captures/a.pcap", "ab12"});
    run.version = "0.1.0";
    auto r = store->commit(run);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  EXPECT_EQ(sql_int(path, "SELECT count(*) FROM observations"), 2);
  EXPECT_EQ(sql_int(path, "SELECT count FROM observations WHERE item = '198.51.100.0/24'"), 2);
  EXPECT_EQ(sql_int(path, "SELECT count(*) FROM runs WHERE files LIKE '%/captures/a.pcap%' AND files LIKE '%ab12%' "
                          "AND version = '0.1.0' AND observations = 3"),
            1);
  EXPECT_EQ(sql_int(path, "SELECT last_ns - first_ns FROM runs"), 2 * kNsPerDay);

  // A second run, read-only: the file plus its own overlay, merged.
  auto store = open_ok(path, false);
  ASSERT_TRUE(store);
  EXPECT_FALSE(store->item_before(kKind, "192.0.2.10", "198.51.100.0/24", kT0));
  auto a = store->item_before(kKind, "192.0.2.10", "198.51.100.0/24", kT0 + 1);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->first_ns, kT0);
  EXPECT_EQ(a->last_ns, kT0 + kHour);
  EXPECT_EQ(store->items_before(kKind, "192.0.2.10", kT0 + 3 * kNsPerDay), 2u);
  store->observe(kKind, "192.0.2.10", "198.51.100.0/24", kT0 + 10 * kNsPerDay);  // known to the file: no new item
  store->observe(kKind, "192.0.2.10", "2001:db8::/48", kT0 + 10 * kNsPerDay);    // new
  EXPECT_EQ(store->items_before(kKind, "192.0.2.10", kT0 + 11 * kNsPerDay), 3u);
  auto merged = store->item_before(kKind, "192.0.2.10", "198.51.100.0/24", kT0 + 11 * kNsPerDay);
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->first_ns, kT0);
  EXPECT_EQ(merged->last_ns, kT0 + 10 * kNsPerDay);
  EXPECT_EQ(merged->count, 3u);
  EXPECT_EQ(store->subject_before(kKind, "192.0.2.10", kT0 + 11 * kNsPerDay)->count, 5u);
  EXPECT_TRUE(store->commit().ok());  // read-only: nothing written
  store.reset();
  EXPECT_EQ(sql_int(path, "SELECT count(*) FROM observations"), 2);
  EXPECT_EQ(sql_int(path, "SELECT count(*) FROM runs"), 1);
}

TEST(DetectBaseline, CommitMergesRowsOfTheSameDay) {
  std::string path = temp_dir() + "/baseline.sqlite";
  const std::int64_t day0 = kT0 / kNsPerDay * kNsPerDay;  // all three within one UTC day
  for (std::int64_t t : {day0 + kHour, day0, day0 + 2 * kHour}) {
    auto store = open_ok(path, true);
    ASSERT_TRUE(store);
    store->observe(kKind, "s", "a", t);
    ASSERT_TRUE(store->commit().ok());
  }
  EXPECT_EQ(sql_int(path, "SELECT count(*) FROM observations"), 1);
  EXPECT_EQ(sql_int(path, "SELECT first_ns FROM observations"), day0);
  EXPECT_EQ(sql_int(path, "SELECT last_ns FROM observations"), day0 + 2 * kHour);
  EXPECT_EQ(sql_int(path, "SELECT count FROM observations"), 3);
  EXPECT_EQ(sql_int(path, "SELECT count(*) FROM runs"), 3);
}

TEST(DetectBaseline, EmptyFileIsAnEmptyBaseline) {
  std::string path = temp_dir() + "/baseline.sqlite";
  write_bytes(path, "");
  auto ro = open_ok(path, false);
  ASSERT_TRUE(ro);
  EXPECT_FALSE(ro->subject_before(kKind, "s", kT0));
  ro.reset();
  EXPECT_EQ(read_bytes(path), "");
  auto rw = open_ok(path, true);
  ASSERT_TRUE(rw);
  rw->observe(kKind, "s", "a", kT0);
  EXPECT_TRUE(rw->commit().ok());
  rw.reset();
  EXPECT_EQ(sql_int(path, "SELECT count(*) FROM observations"), 1);
}

// Opens PATH both ways and expects a refusal naming the path and REASON, with the file unchanged.
void expect_refused(const std::string& path, std::string_view reason) {
  std::string before = read_bytes(path);
  for (bool learn : {false, true}) {
    auto r = BaselineStore::open(path, learn);
    ASSERT_FALSE(r.ok()) << "learn=" << learn;
    const std::string& msg = r.error().message;
    EXPECT_NE(msg.find(fmt::format("baseline {}: ", path)), std::string::npos) << msg;
    EXPECT_NE(msg.find(reason), std::string::npos) << msg;
    EXPECT_NE(msg.find("left as it is: move it aside or set PCAPSCOPE_BASELINE"), std::string::npos) << msg;
    EXPECT_EQ(read_bytes(path), before) << "learn=" << learn;
  }
}

TEST(DetectBaseline, TextFileIsRefusedAndLeftAlone) {
  std::string path = temp_dir() + "/baseline.sqlite";
  std::string text;
  for (int i = 0; i < 300; ++i) text += "this is a shopping list, not a database\n";
  write_bytes(path, text);
  expect_refused(path, "file is not a database");
}

TEST(DetectBaseline, TruncatedBaselineIsRefusedAndLeftAlone) {
  std::string path = temp_dir() + "/baseline.sqlite";
  make_baseline(path, 3000);
  std::string bytes = read_bytes(path);
  ASSERT_GT(bytes.size(), 8u * 4096);
  write_bytes(path, bytes.substr(0, bytes.size() / 2));
  expect_refused(path, "damaged");
}

TEST(DetectBaseline, GarbledBaselineIsRefusedAndLeftAlone) {
  std::string path = temp_dir() + "/baseline.sqlite";
  make_baseline(path, 3000);
  std::string bytes = read_bytes(path);
  ASSERT_GT(bytes.size(), 8u * 4096);
  for (std::size_t i = 3 * 4096; i < 6 * 4096; ++i) bytes[i] = static_cast<char>(i * 37 + 11);
  write_bytes(path, bytes);
  expect_refused(path, "damaged");
}

TEST(DetectBaseline, OtherApplicationsDatabaseIsRefusedAndLeftAlone) {
  std::string path = temp_dir() + "/places.sqlite";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE moz_places(id INTEGER PRIMARY KEY, url TEXT); "
                             "INSERT INTO moz_places(url) VALUES ('https://example.org/')",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  expect_refused(path, "not a pcapscope baseline");
}

TEST(DetectBaseline, NewerSchemaIsRefusedAndLeftAlone) {
  std::string path = temp_dir() + "/baseline.sqlite";
  make_baseline(path, 10);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA journal_mode = DELETE; PRAGMA user_version = 7", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  expect_refused(path, "newer pcapscope (schema version 7");
}

TEST(DetectBaseline, DirectoryIsRefused) {
  std::string path = temp_dir() + "/dir.sqlite";
  fs::create_directories(path);
  auto r = BaselineStore::open(path, true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not a regular file"), std::string::npos) << r.error().message;
}

// Two processes created at once, each opening the (missing) file, learning and committing: both succeed and
// the file holds both sets of observations.
TEST(DetectBaseline, ConcurrentRunsBothSucceed) {
  for (int round = 0; round < 3; ++round) {
    std::string path = temp_dir() + fmt::format("/round{}/baseline.sqlite", round);
    int go[2];
    ASSERT_EQ(::pipe(go), 0);
    pid_t kids[2];
    for (int k = 0; k < 2; ++k) {
      kids[k] = ::fork();
      ASSERT_GE(kids[k], 0);
      if (kids[k] == 0) {
        ::close(go[1]);
        char c;
        if (::read(go[0], &c, 1) != 1) ::_exit(3);
        auto store = BaselineStore::open(path, true);
        if (!store) {
          std::fprintf(stderr, "child %d: %s\n", k, store.error().message.c_str());
          ::_exit(1);
        }
        std::string server = fmt::format("192.0.2.{}", k + 1);
        for (int i = 0; i < 500; ++i) (*store)->observe(kKind, server, fmt::format("net{}", i), kT0 + i * kHour);
        // Both also touch one shared row, which must sum rather than be overwritten.
        (*store)->observe(kKind, "shared", "net", kT0 + k);
        auto r = (*store)->commit();
        if (!r) {
          std::fprintf(stderr, "child %d: %s\n", k, r.error().message.c_str());
          ::_exit(2);
        }
        ::_exit(0);
      }
    }
    ::close(go[0]);
    ASSERT_EQ(::write(go[1], "gg", 2), 2);
    ::close(go[1]);
    for (pid_t kid : kids) {
      int status = 0;
      ASSERT_EQ(::waitpid(kid, &status, 0), kid);
      ASSERT_TRUE(WIFEXITED(status));
      EXPECT_EQ(WEXITSTATUS(status), 0) << "round " << round;
    }
    auto store = open_ok(path, false);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->items_before(kKind, "192.0.2.1", kT0 + 1000 * kHour), 500u);
    EXPECT_EQ(store->items_before(kKind, "192.0.2.2", kT0 + 1000 * kHour), 500u);
    auto shared = store->item_before(kKind, "shared", "net", kT0 + kHour);
    ASSERT_TRUE(shared);
    EXPECT_EQ(shared->count, 2u);
    EXPECT_EQ(shared->first_ns, kT0);
    EXPECT_EQ(shared->last_ns, kT0 + 1);
    store.reset();
    EXPECT_EQ(sql_int(path, "SELECT count(*) FROM runs"), 2);
  }
}

}  // namespace
}  // namespace pcapscope::detect

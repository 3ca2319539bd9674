#include "output/sql_query.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <cmath>
#include <string>
#include <vector>

#include "output/packet_printer.h"
#include "output/zeek_format.h"

namespace pcapscope {
namespace {

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

// Pragmas that only describe the schema or the library; none of them changes anything, whatever its argument.
constexpr std::string_view kReadOnlyPragmas[] = {
    "table_info",   "table_xinfo",   "table_list",       "index_list",  "index_info",  "index_xinfo",
    "function_list", "collation_list", "foreign_key_list", "module_list", "pragma_list", "compile_options",
    "database_list",
};

int authorize(void*, int action, const char* a1, const char*, const char*, const char*) {
  switch (action) {
    case SQLITE_ATTACH:
    case SQLITE_DETACH: return SQLITE_DENY;
    case SQLITE_PRAGMA: {
      const std::string_view name = a1 ? a1 : "";
      for (std::string_view ok : kReadOnlyPragmas) {
        if (sqlite3_stricmp(ok.data(), std::string(name).c_str()) == 0) return SQLITE_OK;
      }
      return SQLITE_DENY;
    }
    default: return SQLITE_OK;
  }
}

// Past whitespace, empty statements and comments: where the next statement starts (END when none does).
const char* skip_blank(const char* p, const char* end) {
  while (p < end) {
    if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v' || *p == ';') {
      ++p;
    } else if (end - p >= 2 && p[0] == '-' && p[1] == '-') {
      while (p < end && *p != '\n') ++p;
    } else if (end - p >= 2 && p[0] == '/' && p[1] == '*') {
      p += 2;
      while (p < end && !(end - p >= 2 && p[0] == '*' && p[1] == '/')) ++p;
      p = p < end ? p + 2 : end;
    } else {
      break;
    }
  }
  return p;
}

// Shortest text that reads back as the same double, with ".0" on whole numbers so REAL stays REAL to a reader
// (JSON parsers make 3 an integer and 3.0 a float), as the sqlite3 shell prints them.
void append_real(std::string& out, double d) {
  const std::size_t at = out.size();
  fmt::format_to(std::back_inserter(out), "{}", d);
  if (out.find_first_of(".eEn", at) == std::string::npos) out += ".0";  // n: nan and inf are left alone
}

std::string_view column_text(sqlite3_stmt* s, int i) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))) : std::string_view();
}

void append_blob_hex(std::string& out, sqlite3_stmt* s, int i) {
  const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(s, i));
  const int n = sqlite3_column_bytes(s, i);
  for (int k = 0; k < n; ++k) fmt::format_to(std::back_inserter(out), "{:02x}", p[k]);
}

// A cell for the table and CSV forms. NULL_TEXT is what NULL reads as.
void append_plain(std::string& out, sqlite3_stmt* s, int i, std::string_view null_text) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER: fmt::format_to(std::back_inserter(out), "{}", sqlite3_column_int64(s, i)); return;
    case SQLITE_FLOAT: append_real(out, sqlite3_column_double(s, i)); return;
    case SQLITE_BLOB: append_blob_hex(out, s, i); return;
    case SQLITE_NULL: out += null_text; return;
    default: out += column_text(s, i); return;
  }
}

void append_json_value(std::string& out, sqlite3_stmt* s, int i) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER: fmt::format_to(std::back_inserter(out), "{}", sqlite3_column_int64(s, i)); return;
    case SQLITE_FLOAT: {
      const double d = sqlite3_column_double(s, i);
      if (std::isfinite(d)) {
        append_real(out, d);
      } else {
        out += "null";  // JSON has no infinity
      }
      return;
    }
    case SQLITE_BLOB:
      out += '"';
      append_blob_hex(out, s, i);
      out += '"';
      return;
    case SQLITE_NULL: out += "null"; return;
    default: append_json_string(out, column_text(s, i)); return;
  }
}

// Characters as a terminal shows them: UTF-8 continuation bytes take no column.
std::size_t display_width(std::string_view s) {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

struct TableOut {
  std::vector<std::string> cells;  // row-major, the header first
  std::vector<bool> numeric;       // per column: a number seen, and no text (right-aligned)
};

Result<void> print_rows(sqlite3* db, sqlite3_stmt* s, SqlFormat format,
                        const std::function<void(std::string_view)>& write) {
  const int ncol = sqlite3_column_count(s);
  std::string out;
  auto flush_if_big = [&] {
    if (out.size() >= (1u << 16)) {
      write(out);
      out.clear();
    }
  };
  std::vector<std::string> names;
  for (int i = 0; i < ncol; ++i) names.emplace_back(sqlite3_column_name(s, i));
  std::vector<std::string> json_keys;
  for (const std::string& n : names) {
    json_keys.emplace_back();
    append_json_string(json_keys.back(), n);
  }
  TableOut table;
  table.numeric.assign(static_cast<std::size_t>(ncol), false);
  std::vector<bool> text_seen(static_cast<std::size_t>(ncol), false);
  if (format == SqlFormat::kCsv && ncol > 0) {
    for (int i = 0; i < ncol; ++i) {
      if (i) out += ',';
      append_csv_cell(out, names[static_cast<std::size_t>(i)]);
    }
    out += '\n';
  }
  if (format == SqlFormat::kTable) table.cells = names;

  std::string cell;
  int rc;
  while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
    if (format == SqlFormat::kJson) {
      out += '{';
      for (int i = 0; i < ncol; ++i) {
        if (i) out += ',';
        out += json_keys[static_cast<std::size_t>(i)];
        out += ':';
        append_json_value(out, s, i);
      }
      out += "}\n";
    } else if (format == SqlFormat::kCsv) {
      for (int i = 0; i < ncol; ++i) {
        if (i) out += ',';
        cell.clear();
        append_plain(cell, s, i, "");
        append_csv_cell(out, cell);
      }
      out += '\n';
    } else {
      for (int i = 0; i < ncol; ++i) {
        const int type = sqlite3_column_type(s, i);
        const auto col = static_cast<std::size_t>(i);
        if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
          text_seen[col] = true;
          table.numeric[col] = false;
        } else if (type != SQLITE_NULL && !text_seen[col]) {
          table.numeric[col] = true;
        }
        std::string c;
        if (type == SQLITE_TEXT) {
          append_printable(c, column_text(s, i));  // a terminal: no control bytes, one line per row
        } else {
          append_plain(c, s, i, "-");
        }
        table.cells.push_back(std::move(c));
      }
    }
    flush_if_big();
  }
  if (rc != SQLITE_DONE) {
    write(out);
    return Error{sqlite3_errmsg(db)};
  }
  if (format == SqlFormat::kTable && ncol > 0) {
    const auto cols = static_cast<std::size_t>(ncol);
    std::vector<std::size_t> width(cols, 0);
    for (std::size_t k = 0; k < table.cells.size(); ++k) {
      width[k % cols] = std::max(width[k % cols], display_width(table.cells[k]));
    }
    for (std::size_t k = 0; k < table.cells.size(); ++k) {
      const std::size_t c = k % cols;
      const std::size_t pad = width[c] - display_width(table.cells[k]);
      if (c) out += "  ";
      if (table.numeric[c]) out.append(pad, ' ');
      out += table.cells[k];
      if (!table.numeric[c] && c + 1 < cols) out.append(pad, ' ');
      if (c + 1 == cols) {
        out += '\n';
        flush_if_big();
      }
    }
  }
  write(out);
  return {};
}

}  // namespace

Result<void> lock_down(sqlite3* db) {
  // No writable_schema, no journal_mode = OFF, no direct writes to shadow tables.
  sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  char* msg = nullptr;
  if (sqlite3_exec(db, "PRAGMA query_only = 1", nullptr, nullptr, &msg) != SQLITE_OK) {
    Error e{msg ? msg : sqlite3_errmsg(db)};
    sqlite3_free(msg);
    return e;
  }
  if (sqlite3_set_authorizer(db, authorize, nullptr) != SQLITE_OK) return Error{sqlite3_errmsg(db)};
  return {};
}

Result<void> run_query(sqlite3* db, std::string_view sql, SqlFormat format,
                       const std::function<void(std::string_view)>& write) {
  const char* p = sql.data();
  const char* const end = p + sql.size();
  bool any = false;
  while ((p = skip_blank(p, end)) < end) {
    Stmt st;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db, p, static_cast<int>(end - p), &st.s, &tail) != SQLITE_OK) {
      return Error{sqlite3_errmsg(db)};
    }
    if (!st.s) break;  // the rest was blank after all
    any = true;
    if (skip_blank(tail, end) >= end) return print_rows(db, st.s, format, write);
    int rc;
    while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE) return Error{sqlite3_errmsg(db)};
    p = tail;
  }
  if (!any) return Error{"the query holds no SQL statement"};
  return {};
}

}  // namespace pcapscope

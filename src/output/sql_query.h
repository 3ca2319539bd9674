// Running an analyst's SQL over the evidence tables and printing the rows:
// aligned text, JSON Lines or CSV.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "pcapscope/result.h"

struct sqlite3;

namespace pcapscope {

enum class SqlFormat { kTable, kJson, kCsv };

// Makes DB safe for queries typed by anyone: an authorizer denies ATTACH and DETACH (no other file can be
// opened, created or written) and every PRAGMA but the read-only introspection ones (table_info, table_list,
// function_list ...), then PRAGMA query_only = 1, which the authorizer then keeps from being turned off:
// a query can neither change the database nor write a file (VACUUM INTO attaches its target, so it is denied
// too). Call after loading.
Result<void> lock_down(sqlite3* db);

// Runs every statement of SQL in order; the rows of the last one are formatted in FORMAT and handed to WRITE
// in pieces (JSON and CSV stream; the table is aligned, so it is written at the end). Earlier statements run
// for their effect only. The error is SQLite's message for the statement that failed.
Result<void> run_query(sqlite3* db, std::string_view sql, SqlFormat format,
                       const std::function<void(std::string_view)>& write);

}  // namespace pcapscope

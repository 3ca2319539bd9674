// --filter and --where: compiling a filter expression given on the command
// line, with the compiler's positioned message on failure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pcapscope/filter.h"

namespace CLI {
class App;
}

namespace pcapscope::cli {

// Compiles EXPR for SUBJECT, or prints
//   pcapscope: filter: unknown field "ip.sorce" (did you mean ip.src?) (column 1)
//       ip.sorce == 10.0.0.1
//       ^~~~~~~~
// and exits with status 2. Empty EXPR: no filter.
std::optional<filter::Filter> compile_filter_or_die(const std::string& expr, filter::Subject subject);

// Adds --where EXPR (a filter over this command's records) to CMD.
void add_where_option(CLI::App& cmd, std::string& expr, std::string_view records);

}  // namespace pcapscope::cli

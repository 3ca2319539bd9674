#include "cli/filter_options.h"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdlib>

#include "cli/common.h"

namespace pcapscope::cli {

std::optional<filter::Filter> compile_filter_or_die(const std::string& expr, filter::Subject subject) {
  if (expr.empty()) return std::nullopt;
  auto r = filter::Filter::compile(expr, subject);
  if (auto* err = std::get_if<filter::CompileError>(&r)) {
    std::fflush(stdout);
    fmt::print(stderr, "pcapscope: filter: {}\n", err->render(expr));
    std::exit(kExitUsage);
  }
  return std::move(std::get<filter::Filter>(r));
}

void add_where_option(CLI::App& cmd, std::string& expr, std::string_view records) {
  cmd.add_option("--where", expr,
                 fmt::format("Keep only {} records matching this filter (display-filter syntax over the record's "
                             "fields, e.g. 'orig_bytes > 10 * resp_bytes && duration > 60'; docs/filters.md)",
                             records));
}

}  // namespace pcapscope::cli

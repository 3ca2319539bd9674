#include "output/sql_functions.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <optional>
#include <string>
#include <string_view>

#include "core/cidr.h"
#include "core/domain.h"
#include "detect/geoip.h"

namespace pcapscope {
namespace {

std::string_view text_of(sqlite3_value* v) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_value_text(v));
  return p ? std::string_view(p, static_cast<std::size_t>(sqlite3_value_bytes(v))) : std::string_view();
}

void result_error(sqlite3_context* ctx, const std::string& msg) {
  sqlite3_result_error(ctx, msg.data(), static_cast<int>(msg.size()));
}

// The address argument: nullopt with an error set when it is not an address.
std::optional<IpAddress> address_arg(sqlite3_context* ctx, sqlite3_value* v, std::string_view fn) {
  const std::string_view text = text_of(v);
  auto a = parse_ip_address(text);
  if (!a) {
    result_error(ctx, fmt::format("{}(): \"{}\" is not an IP address", fn, text));
    return std::nullopt;
  }
  return a.value();
}

void in_cidr(sqlite3_context* ctx, int, sqlite3_value** argv) {
  // The network is parsed once per statement (it is nearly always a constant) and kept as auxiliary data.
  // It is checked before the address is looked at, so a typo fails the query whatever rows it meets.
  const auto* cached = static_cast<const Cidr*>(sqlite3_get_auxdata(ctx, 1));
  std::optional<Cidr> parsed;
  if (!cached) {
    if (sqlite3_value_type(argv[1]) == SQLITE_NULL) {
      sqlite3_result_null(ctx);
      return;
    }
    auto c = parse_cidr(text_of(argv[1]));
    if (!c) {
      result_error(ctx, fmt::format("in_cidr(): \"{}\": {}", text_of(argv[1]), c.error().message));
      return;
    }
    parsed = c.value();
  }
  const Cidr& net = cached ? *cached : *parsed;
  // A value that is not an address is NULL, not an error: columns such as DNS answers mix addresses with
  // names and TXT data, and `WHERE in_cidr(answer, ...)` must skip those rows, as the filter language does.
  auto a = sqlite3_value_type(argv[0]) == SQLITE_NULL ? Result<IpAddress>(Error{""}) : parse_ip_address(text_of(argv[0]));
  if (a) {
    sqlite3_result_int(ctx, net.contains(*a) ? 1 : 0);
  } else {
    sqlite3_result_null(ctx);
  }
  // Last: SQLite may free the data at once (sqlite3_set_auxdata's contract).
  if (parsed) sqlite3_set_auxdata(ctx, 1, new Cidr(*parsed), [](void* p) { delete static_cast<Cidr*>(p); });
}

void registered_domain_fn(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(ctx);
  const std::string_view d = registered_domain(text_of(argv[0]));
  sqlite3_result_text(ctx, d.data() ? d.data() : "", static_cast<int>(d.size()), SQLITE_TRANSIENT);
}

void entropy_fn(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(ctx);
  sqlite3_result_double(ctx, shannon_entropy(text_of(argv[0])));
}

void country_fn(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const auto* geoip = static_cast<const detect::GeoIp*>(sqlite3_user_data(ctx));
  if (!geoip) {
    return result_error(ctx, "country(): no GeoIP database configured (set PCAPSCOPE_GEOIP_DB or --set geoip_db=...)");
  }
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL) return sqlite3_result_null(ctx);
  const auto a = address_arg(ctx, argv[0], "country");
  if (!a) return;
  const auto c = geoip->country(*a);
  if (!c) return sqlite3_result_null(ctx);
  sqlite3_result_text(ctx, c->data(), static_cast<int>(c->size()), SQLITE_TRANSIENT);
}

}  // namespace

Result<void> register_sql_functions(sqlite3* db, const detect::GeoIp* geoip) {
  struct Fn {
    const char* name;
    int args;
    void (*fn)(sqlite3_context*, int, sqlite3_value**);
    void* data;
  };
  const Fn fns[] = {
      {"in_cidr", 2, in_cidr, nullptr},
      {"registered_domain", 1, registered_domain_fn, nullptr},
      {"entropy", 1, entropy_fn, nullptr},
      {"country", 1, country_fn, const_cast<detect::GeoIp*>(geoip)},
  };
  for (const Fn& f : fns) {
    if (sqlite3_create_function_v2(db, f.name, f.args, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, f.data,
                                   f.fn, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return Error{fmt::format("registering {}(): {}", f.name, sqlite3_errmsg(db))};
    }
  }
  return {};
}

}  // namespace pcapscope

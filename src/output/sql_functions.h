// SQL functions for analysts, registered on every `pcapscope sql` connection:
//   in_cidr(addr, cidr)      1 when ADDR is inside CIDR ("10.0.0.0/8", "2001:db8::/32", a bare address), else 0;
//                            NULL when ADDR is NULL; an error for a CIDR or an address that does not parse
//   registered_domain(name)  the registrable domain ("a.b.example.co.uk" -> "example.co.uk"), libpsl's list
//   entropy(text)            Shannon entropy in bits per character
//   country(addr)            ISO country code from the GeoIP database (geoip_db); NULL when it has none;
//                            an error when no database is configured
// All are deterministic and innocuous (no side effects), so they may be used in WHERE, GROUP BY and indexes.
#pragma once

#include "pcapscope/result.h"

struct sqlite3;

namespace pcapscope {
namespace detect {
class GeoIp;
}

// GEOIP (may be null) must outlive DB's statements.
Result<void> register_sql_functions(sqlite3* db, const detect::GeoIp* geoip);

}  // namespace pcapscope

// Country of an address from a MaxMind DB file (GeoIP2/GeoLite2 Country or
// City, or any database in that format such as DB-IP's), read with
// libmaxminddb, as Zeek's lookup_location() and Suricata's geoip keyword do.
//
// The file is memory-mapped (MMDB_MODE_MMAP): opening costs nothing per
// lookup and lets several processes share the pages. A lookup reads
// country.iso_code and falls back to registered_country.iso_code (networks
// of anycast or satellite providers often carry only the latter), which is
// MaxMind's own advice for country-level decisions.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "pcapscope/result.h"
#include "pcapscope/session.h"

struct MMDB_s;

namespace pcapscope::detect {

class GeoIp {
 public:
  // MMDB_open; the error names the file and libmaxminddb's reason.
  static Result<std::unique_ptr<GeoIp>> open(const std::string& path);
  ~GeoIp();
  GeoIp(const GeoIp&) = delete;
  GeoIp& operator=(const GeoIp&) = delete;

  // ISO 3166-1 alpha-2 code ("DE"): country, else registered_country; nullopt when the database has neither
  // (private and reserved networks, an IPv6 address in an IPv4-only database).
  std::optional<std::string> country(const IpAddress& a) const;
  const std::string& path() const { return path_; }
  std::string database_type() const;  // "GeoLite2-Country" ...

 private:
  GeoIp(std::string path, std::unique_ptr<MMDB_s> db);
  std::string path_;
  std::unique_ptr<MMDB_s> db_;
};

}  // namespace pcapscope::detect

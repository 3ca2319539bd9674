// GeoIP lookups with libmaxminddb (design: geoip.h).
#include "detect/geoip.h"

#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>

#include <fmt/format.h>

namespace pcapscope::detect {

GeoIp::GeoIp(std::string path, std::unique_ptr<MMDB_s> db) : path_(std::move(path)), db_(std::move(db)) {}

GeoIp::~GeoIp() {
  if (db_) MMDB_close(db_.get());
}

Result<std::unique_ptr<GeoIp>> GeoIp::open(const std::string& path) {
  auto db = std::make_unique<MMDB_s>();
  int rc = MMDB_open(path.c_str(), MMDB_MODE_MMAP, db.get());
  if (rc != MMDB_SUCCESS) {
    std::string why = MMDB_strerror(rc);
    if (rc == MMDB_IO_ERROR) why = fmt::format("{} ({})", why, std::strerror(errno));
    return Error{fmt::format("GeoIP database {}: {}", path, why)};
  }
  return std::unique_ptr<GeoIp>(new GeoIp(path, std::move(db)));
}

std::string GeoIp::database_type() const {
  return db_->metadata.database_type ? db_->metadata.database_type : "";
}

std::optional<std::string> GeoIp::country(const IpAddress& a) const {
  sockaddr_storage ss{};
  if (a.v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    std::memcpy(&s6->sin6_addr, a.bytes.data(), 16);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    std::memcpy(&s4->sin_addr, a.bytes.data(), 4);
  }
  int err = MMDB_SUCCESS;
  MMDB_lookup_result_s res = MMDB_lookup_sockaddr(db_.get(), reinterpret_cast<const sockaddr*>(&ss), &err);
  if (err != MMDB_SUCCESS || !res.found_entry) return std::nullopt;
  for (const char* map : {"country", "registered_country"}) {
    MMDB_entry_data_s data{};
    if (MMDB_get_value(&res.entry, &data, map, "iso_code", nullptr) == MMDB_SUCCESS && data.has_data &&
        data.type == MMDB_DATA_TYPE_UTF8_STRING && data.data_size > 0) {
      return std::string(data.utf8_string, data.data_size);
    }
  }
  return std::nullopt;
}

}  // namespace pcapscope::detect

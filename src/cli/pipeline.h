// What `analyze` and `sql` share before and beside the packet loop: the
// detect stage's stores (baseline, GeoIP) and the inputs' SHA-256 computed
// on a second thread. Both commands then wire the same chain,
// SessionTable -> ProtocolStage -> detect::Engine -> their own outputs.
#pragma once

#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "detect/baseline.h"
#include "detect/geoip.h"

namespace pcapscope::cli {

struct DetectStores {
  std::unique_ptr<detect::BaselineStore> baseline;  // null: no baseline path (no HOME, no setting)
  std::unique_ptr<detect::GeoIp> geoip;             // null: geoip_db not set
};

// Opens the baseline (LEARN: read-write, else read-only: nothing will ever be written to it) and the GeoIP
// database named by the config, before any packet is read, so a damaged one stops the run at once.
// Dies with a one-line error.
DetectStores open_detect_stores(const config::Config& config, bool learn);
// The GeoIP database alone (null when geoip_db is not set); dies with a one-line error.
std::unique_ptr<detect::GeoIp> open_geoip(const config::Config& config);

// SHA-256 of each input on a second thread, in input order ("" for stdin or an unreadable file). Start it
// only once every output is open: die() on an output error must not exit under a running thread.
std::future<std::vector<std::string>> hash_inputs(std::vector<std::string> inputs);

// Bytes of the inputs as stored (stdin counts 0), for the progress line.
std::uint64_t total_size(const std::vector<std::string>& inputs);

}  // namespace pcapscope::cli

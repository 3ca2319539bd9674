#include "cli/pipeline.h"

#include <sys/stat.h>

#include "cli/common.h"
#include "core/evidence_file.h"

namespace pcapscope::cli {

DetectStores open_detect_stores(const config::Config& config, bool learn) {
  DetectStores s;
  std::string baseline_path = config.text("baseline");
  if (baseline_path.empty()) baseline_path = detect::BaselineStore::default_path();
  if (!baseline_path.empty()) {
    auto b = detect::BaselineStore::open(baseline_path, learn);
    if (!b) die("baseline", b.error().message);
    s.baseline = std::move(b.value());
  }
  s.geoip = open_geoip(config);
  return s;
}

std::unique_ptr<detect::GeoIp> open_geoip(const config::Config& config) {
  if (config.text("geoip_db").empty()) return nullptr;
  auto g = detect::GeoIp::open(config.text("geoip_db"));
  if (!g) die("geoip_db", g.error().message);
  return std::move(g.value());
}

std::future<std::vector<std::string>> hash_inputs(std::vector<std::string> inputs) {
  return std::async(std::launch::async, [inputs = std::move(inputs)] {
    std::vector<std::string> out;
    for (const std::string& in : inputs) {
      if (in == "-") {
        out.emplace_back();
        continue;
      }
      auto h = sha256_file(in);
      out.push_back(h ? *h : std::string());
    }
    return out;
  });
}

std::uint64_t total_size(const std::vector<std::string>& inputs) {
  std::uint64_t total = 0;
  for (const std::string& in : inputs) {
    struct stat st {};
    if (in != "-" && ::stat(in.c_str(), &st) == 0) total += static_cast<std::uint64_t>(st.st_size);
  }
  return total;
}

}  // namespace pcapscope::cli

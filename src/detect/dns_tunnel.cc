// dns_tunnel: data smuggled through DNS names (iodine, dnscat2, DNSExfiltrator,
// Cobalt Strike's DNS beacon).
//
// Grouping. Queries are grouped per (client = id.orig_h, registered domain of
// the query), the registered domain (eTLD+1) coming from the public suffix
// list (core/domain.h, Debian's publicsuffix via libpsl). A tunnel needs a
// domain its operator controls, and its data lives in the labels left of it,
// so this is the grouping RITA and Zeek's dns-tunnels scripts use. Names are
// lower-cased first so DNS 0x20 case randomisation does not invent subdomains.
//
// Measures per group: queries; distinct subdomains (64-bit hashes in a set
// capped by dns_tunnel_max_subdomains; the count saturates there); mean and
// longest subdomain length in characters, dots included, and mean Shannon
// entropy of the subdomain's characters without dots (both over distinct
// subdomains, so a repeated name does not weigh more); the share of queries
// whose type is made for carrying data: TXT (16), NULL (10) and the private
// use range 65280-65534 (iodine's "PRIVATE"). CNAME, MX and SRV are not
// counted: mail servers and service discovery ask for them in volume, and the
// tools that use them (dnscat2, iodine) still put their data in long, random
// names that the length and entropy measures see. Last, the peak number of
// queries within one capture-time second to one server (resp_h), from a
// ring of eight one-second buckets per server: records may arrive up to
// eight seconds out of order; later stragglers only miss the rate (counted).
//
// Rule. A group is judged only when it has at least dns_tunnel_min_queries
// queries AND dns_tunnel_min_subdomains distinct subdomains: a tunnel moves
// data by inventing names, and a person or an application does not ask for
// 50 different names under one domain. It then alerts when at least one
// content indicator fires: mean length >= dns_tunnel_min_label_length, mean
// entropy >= dns_tunnel_min_entropy, or TXT/NULL share >= dns_tunnel_txt_ratio.
// The rate (>= dns_tunnel_max_rate) is an indicator for severity only and
// cannot alert alone: a browser loading a page bursts dozens of short CDN
// names per second, while every tunnel tool encodes data in the names or
// uses data-carrying types, which the content indicators see. Severity is
// medium with one indicator and high with two or more (rate included).
//
// Not judged: names under .arpa (reverse lookups: a resolver or a log viewer
// asking PTR for many addresses makes thousands of distinct, long ip6.arpa
// names, and a tunnel would need a delegated reverse zone) and under .local
// (mDNS never leaves the link). They are counted in stats.
//
// Time: groups are evaluated in finish(), so the order records arrive in does
// not matter except for the rate ring above.
#include <algorithm>
#include <array>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "core/domain.h"
#include "detect/detectors.h"

namespace pcapscope::detect {

namespace {

using config::Kind;

constexpr config::SettingSpec kSettings[] = {
    {"dns_tunnel_min_queries", Kind::kCount, "50",
     "Queries from one client under one registered domain before the pair is judged", {}, 1},
    {"dns_tunnel_min_subdomains", Kind::kCount, "50",
     "Distinct subdomains of one registered domain a client must ask for before the pair is judged", {}, 1},
    {"dns_tunnel_min_label_length", Kind::kCount, "30",
     "Mean subdomain length (characters, dots included) that counts as data-carrying", {}, 1},
    {"dns_tunnel_min_entropy", Kind::kNumber, "3.5",
     "Mean Shannon entropy of the subdomains (bits per character) that counts as random", {}, 0, 8},
    {"dns_tunnel_txt_ratio", Kind::kNumber, "0.5",
     "Share of TXT/NULL (and private-use type) queries that counts as data-carrying", {}, 0, 1},
    {"dns_tunnel_max_rate", Kind::kNumber, "20",
     "Peak queries per second to one server that counts as an indicator (raises severity, never alerts alone)", {},
     0, 1e300, true},
    {"dns_tunnel_max_pairs", Kind::kCount, "100000",
     "(client, registered domain) pairs tracked; queries of further pairs are dropped and counted", {}, 1},
    {"dns_tunnel_max_subdomains", Kind::kCount, "1000",
     "Distinct subdomains remembered per pair (the distinct count stops growing there)", {}, 1},
};

constexpr std::size_t kRing = 8;        // one-second rate buckets per server
constexpr std::size_t kMaxServers = 4;  // servers whose rate is followed per pair
constexpr std::int64_t kSecond = 1'000'000'000;

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool ends_with_label(std::string_view name, std::string_view tld) {
  if (name == tld) return true;
  return name.size() > tld.size() && name.ends_with(tld) && name[name.size() - tld.size() - 1] == '.';
}

bool data_type(std::uint16_t qtype) { return qtype == 16 || qtype == 10 || (qtype >= 65280 && qtype <= 65534); }

std::uint64_t hash64(std::string_view s) {
  // FNV-1a: stable across runs and platforms, and 64 bits make collisions
  // among a thousand names negligible.
  std::uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

struct ServerRate {
  IpAddress server;
  std::uint16_t port = 0;
  Transport proto = Transport::kUdp;
  std::uint64_t queries = 0;
  std::array<std::int64_t, kRing> sec{};
  std::array<std::uint32_t, kRing> count{};
  std::uint32_t peak = 0;
};

struct Pair {
  IpAddress client;
  std::string domain;
  std::uint64_t queries = 0, data_queries = 0;
  std::unordered_set<std::uint64_t> subdomains;
  std::uint64_t length_sum = 0;
  std::size_t longest = 0;
  double entropy_sum = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  std::unordered_set<std::uint64_t> uid_hashes;  // distinct sessions (capped like subdomains)
  std::vector<std::string> uids;
  std::vector<std::uint64_t> frames;
  std::vector<ServerRate> servers;
  std::string example;  // the longest subdomain, for the analyst
};

class DnsTunnel final : public Detector {
 public:
  explicit DnsTunnel(const DetectContext& ctx)
      : sink_(ctx.alerts),
        min_queries_(ctx.config.count("dns_tunnel_min_queries")),
        min_subdomains_(ctx.config.count("dns_tunnel_min_subdomains")),
        min_length_(ctx.config.count("dns_tunnel_min_label_length")),
        min_entropy_(ctx.config.number("dns_tunnel_min_entropy")),
        txt_ratio_(ctx.config.number("dns_tunnel_txt_ratio")),
        max_rate_(ctx.config.number("dns_tunnel_max_rate")),
        max_pairs_(ctx.config.count("dns_tunnel_max_pairs")),
        max_subdomains_(ctx.config.count("dns_tunnel_max_subdomains")) {}

  std::string_view name() const override { return "dns_tunnel"; }

  void on_dns(const DnsLogRecord& r) override {
    if (!r.has_query || r.query.empty()) return;
    name_.resize(r.query.size());
    std::transform(r.query.begin(), r.query.end(), name_.begin(), lower);
    if (!name_.empty() && name_.back() == '.') name_.pop_back();
    if (ends_with_label(name_, "arpa") || ends_with_label(name_, "local")) {
      ++skipped_;
      return;
    }
    const std::string_view reg = registered_domain(name_);
    if (reg.empty()) return;
    key_.assign(reinterpret_cast<const char*>(r.id.orig_h.bytes.data()), r.id.orig_h.bytes.size());
    key_ += r.id.orig_h.v6 ? '6' : '4';
    key_ += reg;
    auto it = pairs_.find(key_);
    if (it == pairs_.end()) {
      if (pairs_.size() >= max_pairs_) {
        ++dropped_;
        return;
      }
      it = pairs_.emplace(key_, Pair{}).first;
      ++tracked_;
      it->second.client = r.id.orig_h;
      it->second.domain = std::string(reg);
      it->second.first_ns = it->second.last_ns = r.ts_ns;
    }
    Pair& p = it->second;
    ++p.queries;
    if (data_type(r.qtype)) ++p.data_queries;
    p.first_ns = std::min(p.first_ns, r.ts_ns);
    p.last_ns = std::max(p.last_ns, r.ts_ns);
    if (p.frames.size() < kMaxEvidence && r.frame != 0) p.frames.push_back(r.frame);
    if (p.uid_hashes.size() < max_subdomains_ && p.uid_hashes.insert(hash64(r.uid_view())).second &&
        p.uids.size() < kMaxEvidence) {
      p.uids.emplace_back(r.uid_view());
    }
    if (reg.size() + 1 < name_.size()) {
      const std::string_view sub = std::string_view(name_).substr(0, name_.size() - reg.size() - 1);
      if (p.subdomains.size() < max_subdomains_ && p.subdomains.insert(hash64(sub)).second) {
        p.length_sum += sub.size();
        if (sub.size() > p.longest) {
          p.longest = sub.size();
          p.example = std::string(sub.substr(0, 255));
        }
        std::string bare(sub);
        bare.erase(std::remove(bare.begin(), bare.end(), '.'), bare.end());
        p.entropy_sum += shannon_entropy(bare);
      }
    }
    count_rate(p, r);
  }

  void finish() override {
    for (const auto& [key, p] : pairs_) judge(p);
    pairs_.clear();
  }

  std::string stats() const override {
    return fmt::format("{} client/domain pairs tracked; {} queries dropped at the cap; {} .arpa/.local names "
                       "skipped; {} queries too late for the rate",
                       tracked_, dropped_, skipped_, late_);
  }

 private:
  void count_rate(Pair& p, const DnsLogRecord& r) {
    ServerRate* s = nullptr;
    for (ServerRate& x : p.servers) {
      if (x.server == r.id.resp_h) s = &x;
    }
    if (!s) {
      if (p.servers.size() >= kMaxServers) return;
      p.servers.push_back(ServerRate{r.id.resp_h, r.id.resp_p, r.id.proto, 0, {}, {}, 0});
      s = &p.servers.back();
      s->sec.fill(-1);
    }
    ++s->queries;
    const std::int64_t sec = r.ts_ns >= 0 ? r.ts_ns / kSecond : -1 - (-r.ts_ns - 1) / kSecond;
    const std::size_t slot = static_cast<std::size_t>(((sec % 8) + 8) % 8);
    if (s->sec[slot] == sec) {
      ++s->count[slot];
    } else if (s->sec[slot] < sec) {
      s->sec[slot] = sec;
      s->count[slot] = 1;
    } else {
      ++late_;  // more than kRing seconds behind this server's newest query
      return;
    }
    s->peak = std::max(s->peak, s->count[slot]);
  }

  void judge(const Pair& p) {
    const std::size_t subs = p.subdomains.size();
    if (p.queries < min_queries_ || subs < min_subdomains_ || subs == 0) return;
    const double mean_len = static_cast<double>(p.length_sum) / static_cast<double>(subs);
    const double entropy = p.entropy_sum / static_cast<double>(subs);
    const double ratio = static_cast<double>(p.data_queries) / static_cast<double>(p.queries);
    const ServerRate* busiest = nullptr;
    std::uint32_t peak = 0;
    for (const ServerRate& s : p.servers) {
      if (!busiest || s.queries > busiest->queries) busiest = &s;
      peak = std::max(peak, s.peak);
    }
    const bool is_long = mean_len >= static_cast<double>(min_length_);
    const bool is_random = entropy >= min_entropy_;
    const bool is_data = ratio >= txt_ratio_;
    const bool is_fast = static_cast<double>(peak) >= max_rate_;
    if (!is_long && !is_random && !is_data) return;
    const int fired = int{is_long} + int{is_random} + int{is_data} + int{is_fast};

    Alert a;
    a.detector = "dns_tunnel";
    a.severity = fired >= 2 ? Severity::kHigh : Severity::kMedium;
    a.ts_ns = p.first_ns;
    a.last_ns = p.last_ns;
    a.src = p.client;
    if (busiest) {
      a.dst = busiest->server;
      a.dst_port = busiest->port;
      a.proto = busiest->proto;
    }
    for (const std::string& u : p.uids) a.add_uid(u);
    a.uid_count = std::max<std::uint64_t>(p.uid_hashes.size(), p.uids.size());
    for (std::uint64_t f : p.frames) a.add_frame(f);
    a.value = static_cast<double>(subs);
    a.threshold = static_cast<double>(min_subdomains_);

    std::string why;
    auto add = [&why](std::string part) {
      if (!why.empty()) why += ", ";
      why += part;
    };
    if (is_long) add(fmt::format("mean subdomain length {:.1f} >= {}", mean_len, min_length_));
    if (is_random) add(fmt::format("entropy {:.2f} >= {} bits/char", entropy, min_entropy_));
    if (is_data) add(fmt::format("TXT/NULL share {:.0f}% >= {:.0f}%", ratio * 100, txt_ratio_ * 100));
    if (is_fast) add(fmt::format("peak {} queries/s >= {}", peak, max_rate_));
    const std::string_view more = subs >= max_subdomains_ ? "at least " : "";
    a.message = fmt::format("{} asked {} queries for {}{} distinct subdomains of {} (>= {}): {}",
                            p.client.to_string(), p.queries, more, subs, p.domain, min_subdomains_, why);

    a.extra.push_back({"domain", p.domain});
    a.extra.push_back({"queries", static_cast<std::int64_t>(p.queries)});
    a.extra.push_back({"subdomains", static_cast<std::int64_t>(subs)});
    a.extra.push_back({"mean_label_length", mean_len});
    a.extra.push_back({"longest_label_length", static_cast<std::int64_t>(p.longest)});
    a.extra.push_back({"entropy", entropy});
    a.extra.push_back({"txt_null_ratio", ratio});
    a.extra.push_back({"peak_rate", static_cast<double>(peak)});
    if (busiest) a.extra.push_back({"server", busiest->server.to_string()});
    a.extra.push_back({"example", p.example});
    std::vector<std::string> indicators;
    if (is_long) indicators.emplace_back("long_labels");
    if (is_random) indicators.emplace_back("high_entropy");
    if (is_data) indicators.emplace_back("txt_null");
    if (is_fast) indicators.emplace_back("high_rate");
    a.extra.push_back({"indicators", std::move(indicators)});
    sink_.emit(std::move(a));
  }

  AlertSink& sink_;
  const std::uint64_t min_queries_, min_subdomains_, min_length_;
  const double min_entropy_, txt_ratio_, max_rate_;
  const std::uint64_t max_pairs_, max_subdomains_;
  std::unordered_map<std::string, Pair> pairs_;
  std::string name_, key_;  // scratch, reused per record
  std::uint64_t tracked_ = 0, dropped_ = 0, skipped_ = 0, late_ = 0;
};

}  // namespace

std::span<const config::SettingSpec> dns_tunnel_settings() { return kSettings; }

std::unique_ptr<Detector> make_dns_tunnel_detector(const DetectContext& ctx) {
  return std::make_unique<DnsTunnel>(ctx);
}

}  // namespace pcapscope::detect

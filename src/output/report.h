// The forensic report of `analyze`: what the evidence is, what is on the
// wire, and what the detectors found, for a responder to act on.
//
// TrafficSummary is an observer in the pipeline like any other; it keeps
// counters for the "on the wire" section in maps with a cap (a SYN flood
// from a million spoofed sources must not make the report the memory
// hog), counting what did not fit so the report can say so.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/ip_hash.h"
#include "detect/alert.h"
#include "pcapscope/capture.h"
#include "pcapscope/proto.h"
#include "pcapscope/session.h"

namespace pcapscope {

// One input file as `analyze` read it (the `evidence` record).
struct EvidenceSummary {
  FileSummary file;
  std::string sha256;     // empty: stdin or --no-hash
  std::uint64_t packets = 0;
  std::uint64_t captured_bytes = 0;
  std::int64_t first_ns = 0, last_ns = 0;  // valid when packets > 0
  // The file's clock going back: packets stamped earlier than the one before
  // them in the file, and the largest such step. A capture is written in time
  // order, so steps back mean a clock that was reset or tampered with, or a
  // file spliced together (they are also what session timeouts must survive).
  std::uint64_t steps_back = 0;
  std::int64_t largest_step_back_ns = 0;
  std::int64_t prev_ns = 0;  // the previous packet's time, while reading
};

void append_evidence_json(std::string& out, const EvidenceSummary& e);

// The evidence record's keys (name, JSON type, description), for docs and the schema test.
struct EvidenceKey {
  std::string_view name, json_type, description;
};
const std::vector<EvidenceKey>& evidence_keys();

class TrafficSummary final : public SessionObserver, public ProtocolObserver {
 public:
  explicit TrafficSummary(std::size_t max_keys = 200'000) : max_keys_(max_keys) {}

  void on_session_end(const SessionRecord& rec) override;
  void on_dns(const DnsLogRecord& r) override;
  void on_http(const HttpLogRecord&) override { ++http_; }
  void on_ssl(const SslLogRecord&) override { ++ssl_; }
  void on_ssh(const SshLogRecord&) override { ++ssh_; }

  struct Count {
    std::string key;
    std::uint64_t n = 0;       // sessions (services, ports), bytes (talkers), queries (domains)
    std::uint64_t extra = 0;   // bytes (services, ports), sessions (talkers), clients (domains: not kept)
  };
  // The N largest of each table.
  std::vector<Count> top_talkers(std::size_t n) const;
  std::vector<Count> top_services(std::size_t n) const;
  std::vector<Count> top_ports(std::size_t n) const;
  std::vector<Count> top_domains(std::size_t n) const;

  std::uint64_t sessions() const { return sessions_; }
  std::uint64_t by_transport(Transport t) const { return transports_[static_cast<std::size_t>(t)]; }
  std::uint64_t dns() const { return dns_; }
  std::uint64_t http() const { return http_; }
  std::uint64_t ssl() const { return ssl_; }
  std::uint64_t ssh() const { return ssh_; }
  std::uint64_t untracked() const { return untracked_; }  // updates dropped at the key cap

 private:
  struct Cell {
    std::uint64_t n = 0, extra = 0;
  };
  // Looked up with a string_view: no string is built per session (C++20 transparent lookup).
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  // Keys stay typed while counting (an address, a port and transport) and
  // become text once, in top(): a session end costs no formatting.
  using HostTable = std::unordered_map<IpAddress, Cell, IpHash>;
  using PortTable = std::unordered_map<std::uint32_t, Cell>;  // port << 8 | transport
  using TextTable = std::unordered_map<std::string, Cell, TextHash, std::equal_to<>>;
  template <typename Table, typename Key>
  void add(Table& t, const Key& key, std::uint64_t n, std::uint64_t extra);
  static std::vector<Count> top(std::vector<Count> all, std::size_t n);

  std::size_t max_keys_;
  HostTable talkers_;
  TextTable services_, domains_;
  PortTable ports_;
  std::uint64_t sessions_ = 0, dns_ = 0, http_ = 0, ssl_ = 0, ssh_ = 0, untracked_ = 0;
  std::uint64_t transports_[4] = {};
};

struct ReportInputs {
  const std::vector<EvidenceSummary>* evidence = nullptr;
  const TrafficSummary* traffic = nullptr;
  const std::vector<detect::Alert>* alerts = nullptr;  // sorted with alert_report_less
  std::uint64_t whitelisted = 0;
  std::vector<std::string> detector_notes;  // "beacon: 1,204 pairs tracked" ...
  std::vector<std::string> notes;           // baseline, settings, anomalies ...
};

void append_report(std::string& out, const ReportInputs& in);

}  // namespace pcapscope

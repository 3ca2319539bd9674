// The detect stage: every detector behind one SessionObserver and
// ProtocolObserver, placed after the protocol stage.
//
// The engine fans each finished session and each application record out to
// the detectors (and packets to the few that ask for them), then passes
// everything on to the next observers (record writers, the report), so one
// pass over the evidence feeds detection and output alike. Alerts go
// through the engine's own sink, which applies PCAPSCOPE_WHITELIST once for
// every detector: an alert is dropped when its source or destination is
// whitelisted, and the drops are counted for the report.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "detect/detector.h"

namespace pcapscope::detect {

// The detectors `analyze` runs, built from the config (detect/registry.cc).
std::vector<std::unique_ptr<Detector>> make_detectors(const DetectContext& ctx);

struct EngineStats {
  std::uint64_t alerts = 0;                        // emitted (after the whitelist)
  std::uint64_t whitelisted = 0;                   // dropped by the whitelist
  std::array<std::uint64_t, 5> by_severity{};      // emitted, by Severity
};

class Engine final : public SessionObserver, public ProtocolObserver {
 public:
  // OUT receives the alerts that survive the whitelist. NEXT_SESSIONS and
  // NEXT_RECORDS (may be null) receive everything after the detectors saw it.
  Engine(const config::Config& config, NetworkSet internal, NetworkSet whitelist, AlertSink& out,
         BaselineStore* baseline, const GeoIp* geoip, SessionObserver* next_sessions, ProtocolObserver* next_records);
  ~Engine() override;

  // SessionObserver
  void on_session_end(const SessionRecord& rec) override;
  void on_packet(const SessionRecord& rec, const DecodedPacket& pkt, bool from_orig) override;
  void on_datagram(const SessionRecord& rec, bool from_orig, Bytes payload, const Packet& pkt) override;
  void on_anomaly(const Packet& pkt, std::string_view uid, std::string_view name) override;
  // ProtocolObserver
  void on_dns(const DnsLogRecord& r) override;
  void on_http(const HttpLogRecord& r) override;
  void on_ssl(const SslLogRecord& r) override;
  void on_ssh(const SshLogRecord& r) override;
  void on_problem(std::string_view uid, std::string_view name) override;

  // Whether a packet detector would look at this packet (reads only: safe from any thread).
  bool wants_packet(const SessionRecord& rec, const DecodedPacket& pkt, bool from_orig) const;

  // End of input: every detector emits what is pending.
  void finish();

  const EngineStats& stats() const { return stats_; }
  const std::vector<std::unique_ptr<Detector>>& detectors() const { return detectors_; }

 private:
  class Filter final : public AlertSink {
   public:
    Filter(NetworkSet whitelist, AlertSink& out, EngineStats& stats)
        : whitelist_(std::move(whitelist)), out_(out), stats_(stats) {}
    void emit(Alert alert) override;

   private:
    NetworkSet whitelist_;
    AlertSink& out_;
    EngineStats& stats_;
  };

  EngineStats stats_;
  NetworkSet internal_;
  Filter filter_;
  std::vector<std::unique_ptr<Detector>> detectors_;
  std::vector<Detector*> packet_detectors_;
  SessionObserver* next_sessions_;
  ProtocolObserver* next_records_;
};

}  // namespace pcapscope::detect

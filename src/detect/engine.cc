#include "detect/engine.h"

#include <algorithm>

namespace pcapscope::detect {

void Engine::Filter::emit(Alert alert) {
  if ((alert.src && whitelist_.contains(*alert.src)) || (alert.dst && whitelist_.contains(*alert.dst))) {
    ++stats_.whitelisted;
    return;
  }
  // Evidence reads best in capture order, whatever order the detector found it in.
  std::sort(alert.frames.begin(), alert.frames.end());
  alert.frames.erase(std::unique(alert.frames.begin(), alert.frames.end()), alert.frames.end());
  if (alert.uid_count < alert.uids.size()) alert.uid_count = alert.uids.size();
  if (alert.last_ns < alert.ts_ns) alert.last_ns = alert.ts_ns;
  ++stats_.alerts;
  ++stats_.by_severity[static_cast<std::size_t>(alert.severity)];
  out_.emit(std::move(alert));
}

Engine::Engine(const config::Config& config, NetworkSet internal, NetworkSet whitelist, AlertSink& out,
               BaselineStore* baseline, const GeoIp* geoip, SessionObserver* next_sessions,
               ProtocolObserver* next_records)
    : internal_(std::move(internal)),
      filter_(std::move(whitelist), out, stats_),
      next_sessions_(next_sessions),
      next_records_(next_records) {
  const DetectContext ctx{config, internal_, filter_, baseline, geoip};
  detectors_ = make_detectors(ctx);
  for (const auto& d : detectors_) {
    if (d->wants_packets()) packet_detectors_.push_back(d.get());
  }
}

Engine::~Engine() = default;

void Engine::on_session_end(const SessionRecord& rec) {
  for (const auto& d : detectors_) d->on_session(rec);
  if (next_sessions_) next_sessions_->on_session_end(rec);
}

void Engine::on_packet(const SessionRecord& rec, const DecodedPacket& pkt, bool from_orig) {
  for (Detector* d : packet_detectors_) d->on_packet(rec, pkt, from_orig);
  if (next_sessions_) next_sessions_->on_packet(rec, pkt, from_orig);
}

bool Engine::wants_packet(const SessionRecord& rec, const DecodedPacket& pkt, bool from_orig) const {
  for (const Detector* d : packet_detectors_)
    if (d->wants_packet(rec, pkt, from_orig)) return true;
  return false;
}

void Engine::on_datagram(const SessionRecord& rec, bool from_orig, Bytes payload, const Packet& pkt) {
  if (next_sessions_) next_sessions_->on_datagram(rec, from_orig, payload, pkt);
}

void Engine::on_anomaly(const Packet& pkt, std::string_view uid, std::string_view name) {
  if (next_sessions_) next_sessions_->on_anomaly(pkt, uid, name);
}

void Engine::on_dns(const DnsLogRecord& r) {
  for (const auto& d : detectors_) d->on_dns(r);
  if (next_records_) next_records_->on_dns(r);
}

void Engine::on_http(const HttpLogRecord& r) {
  for (const auto& d : detectors_) d->on_http(r);
  if (next_records_) next_records_->on_http(r);
}

void Engine::on_ssl(const SslLogRecord& r) {
  for (const auto& d : detectors_) d->on_ssl(r);
  if (next_records_) next_records_->on_ssl(r);
}

void Engine::on_ssh(const SshLogRecord& r) {
  for (const auto& d : detectors_) d->on_ssh(r);
  if (next_records_) next_records_->on_ssh(r);
}

void Engine::on_problem(std::string_view uid, std::string_view name) {
  if (next_records_) next_records_->on_problem(uid, name);
}

void Engine::finish() {
  for (const auto& d : detectors_) d->finish();
}

}  // namespace pcapscope::detect

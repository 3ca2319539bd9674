// What a detector is: an observer of finished sessions and protocol records
// (and, when it asks, of packets) that emits alerts to a sink.
//
// Detectors see records in the order the pipeline produces them: a session
// ends when it closes or times out, so record order is roughly, not exactly,
// time order; detectors judge time by the records' timestamps (capture
// time), never by the wall clock. Each keeps bounded state (caps are
// settings) and reports what it dropped in stats.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "core/cidr.h"
#include "detect/alert.h"
#include "pcapscope/proto.h"
#include "pcapscope/session.h"

namespace pcapscope::detect {

class BaselineStore;  // detect/baseline.h
class GeoIp;          // detect/geoip.h

// What every detector is built with.
struct DetectContext {
  const config::Config& config;
  const NetworkSet& internal;      // PCAPSCOPE_INTERNAL: what is inside
  AlertSink& alerts;
  BaselineStore* baseline = nullptr;  // null: no baseline (tests, or none configured)
  const GeoIp* geoip = nullptr;       // null: no GeoIP database configured

  bool is_internal(const IpAddress& a) const { return internal.contains(a); }
};

class Detector {
 public:
  virtual ~Detector() = default;
  virtual std::string_view name() const = 0;  // the name alerts carry: "exfiltration" ...

  virtual void on_session(const SessionRecord& /*rec*/) {}
  virtual void on_dns(const DnsLogRecord& /*rec*/) {}
  virtual void on_http(const HttpLogRecord& /*rec*/) {}
  virtual void on_ssl(const SslLogRecord& /*rec*/) {}
  virtual void on_ssh(const SshLogRecord& /*rec*/) {}
  // Packets, only for detectors whose wants_packets() is true (it costs a virtual call a packet).
  virtual bool wants_packets() const { return false; }
  virtual void on_packet(const SessionRecord& /*rec*/, const DecodedPacket& /*pkt*/, bool /*from_orig*/) {}
  // Whether on_packet would look at this packet at all. It only reads (sharded
  // session stages ask it from their worker threads, and copy only those packets
  // to the detectors' thread), so it must not depend on what the detector learnt.
  virtual bool wants_packet(const SessionRecord& /*rec*/, const DecodedPacket& /*pkt*/, bool /*from_orig*/) const {
    return wants_packets();
  }
  // End of input: emit what is pending.
  virtual void finish() {}

  // One line for the report: what was tracked and dropped ("1,204 sources tracked; 0 dropped at the cap").
  virtual std::string stats() const { return {}; }
};

}  // namespace pcapscope::detect

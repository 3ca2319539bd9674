// DNS over UDP and TCP for one session: queries paired with responses by
// transaction id (oldest pending query first, as Zeek pairs them), one
// dns.log record per pair, per unanswered query and per unsolicited response.
#pragma once

#include <cstdint>
#include <deque>
#include <span>

#include "proto/analyzer.h"
#include "proto/dns/dns_message.h"

namespace pcapscope::proto::dns {

class DnsAnalyzer final : public StreamAnalyzer {
 public:
  DnsAnalyzer(StageContext& ctx, const SessionRecord& live, std::size_t max_pending)
      : ctx_(ctx), live_(&live), max_pending_(max_pending) {}

  // One whole message (a UDP payload).
  void on_message(std::span<const std::uint8_t> msg);

  // TCP: length-prefixed messages across segments.
  void on_data(int side, std::uint64_t offset, std::span<const std::uint8_t> data) override;
  void on_gap(int side, std::uint64_t offset, std::uint64_t len) override;
  void finish(const SessionRecord& live) override;

  std::uint64_t messages_ok() const { return messages_ok_; }  // parsed to their end without a problem

 private:
  void query(const DnsMessage& m);
  void response(const DnsMessage& m);
  void start(DnsLogRecord& r, const DnsMessage& m);
  void fill_response(DnsLogRecord& r, const DnsMessage& m);
  void frame_fields(const DnsMessage& m, std::span<const std::uint8_t> msg);
  void emit(DnsLogRecord& r);

  StageContext& ctx_;
  const SessionRecord* live_;
  std::size_t max_pending_;
  std::deque<DnsLogRecord> pending_;  // queries waiting for their response, oldest first
  TcpDnsFramer framer_[2];
  std::uint64_t messages_ok_ = 0;
};

}  // namespace pcapscope::proto::dns

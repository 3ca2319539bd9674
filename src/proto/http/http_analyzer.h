// HTTP/1.x for one TCP session: the side whose first bytes are a request
// line feeds the request parser, the other the response parser; paired
// transactions become http.log records.
#pragma once

#include <cstdint>
#include <span>

#include "proto/analyzer.h"
#include "proto/http/http_parser.h"

namespace pcapscope::proto::http {

class HttpAnalyzer final : public StreamAnalyzer {
 public:
  // REQUEST_SIDE: the stream side (0/1) that carries the requests.
  HttpAnalyzer(StageContext& ctx, const SessionRecord& live, int request_side);

  void on_data(int side, std::uint64_t offset, std::span<const std::uint8_t> data) override;
  void on_gap(int side, std::uint64_t offset, std::uint64_t len) override;
  void finish(const SessionRecord& live) override;
  HttpConversation::Switch switched() const { return conv_.switched(); }

 private:
  void transaction(const Transaction& t);

  StageContext& ctx_;
  const SessionRecord* live_;
  int request_side_;
  HttpConversation conv_;
};

}  // namespace pcapscope::proto::http

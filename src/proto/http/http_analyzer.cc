#include "proto/http/http_analyzer.h"

namespace pcapscope::proto::http {

HttpAnalyzer::HttpAnalyzer(StageContext& ctx, const SessionRecord& live, int request_side)
    : ctx_(ctx),
      live_(&live),
      request_side_(request_side),
      conv_([this](const Transaction& t) { transaction(t); },
            [this](std::string_view p) { ctx_.problem(live_->uid_view(), p); }) {
  if (ctx_.frame_fields) {
    conv_.set_message_hooks(
        [this](const Message& m) {
          ctx_.field(AppField::kHttpMethod, FieldValue::of_string(m.method));
          if (!m.host.empty()) ctx_.field(AppField::kHttpHost, FieldValue::of_string(m.host));
          ctx_.field(AppField::kHttpUri, FieldValue::of_string(m.uri));
          if (!m.user_agent.empty()) ctx_.field(AppField::kHttpUserAgent, FieldValue::of_string(m.user_agent));
        },
        [this](const Message& m) {
          ctx_.field(AppField::kHttpResponseCode, FieldValue::of_uint(static_cast<std::uint64_t>(m.status_code)));
        });
  }
}

void HttpAnalyzer::on_data(int side, std::uint64_t offset, std::span<const std::uint8_t> data) {
  conv_.set_clock(ctx_.now_ns, ctx_.now_frame);
  (side == request_side_ ? conv_.requests() : conv_.responses()).on_data(offset, data);
}

void HttpAnalyzer::on_gap(int side, std::uint64_t offset, std::uint64_t len) {
  (side == request_side_ ? conv_.requests() : conv_.responses()).on_gap(offset, len);
}

void HttpAnalyzer::finish(const SessionRecord& live) {
  live_ = &live;
  conv_.set_clock(ctx_.now_ns, ctx_.now_frame);
  conv_.on_close();
}

void HttpAnalyzer::transaction(const Transaction& t) {
  HttpLogRecord r;
  static_cast<RecordHeader&>(r) = make_header(*live_, t.ts_ns, t.frame);
  r.trans_depth = t.trans_depth;
  r.method = t.method;
  r.host = t.host;
  r.uri = t.uri;
  r.referrer = t.referrer;
  r.version = t.version;
  r.user_agent = t.user_agent;
  r.request_body_len = t.request_body_len;
  r.response_body_len = t.response_body_len;
  r.status_code = t.status_code;
  r.status_msg = t.status_msg;
  r.request_content_type = t.request_content_type;
  r.response_content_type = t.response_content_type;
  r.has_request = t.has_request;
  r.has_response = t.has_response;
  r.username = t.username;
  r.password_seen = t.password_seen;
  ++ctx_.stats.http;
  if (ctx_.out) ctx_.out->on_http(r);
}

}  // namespace pcapscope::proto::http

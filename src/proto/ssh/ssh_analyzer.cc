#include "proto/ssh/ssh_analyzer.h"

#include <algorithm>

namespace pcapscope::proto::ssh {

std::string negotiate(const std::vector<std::string>& client, const std::vector<std::string>& server) {
  for (const std::string& c : client)
    if (std::find(server.begin(), server.end(), c) != server.end()) return c;
  return {};
}

// Zeek's reading of the server's first encrypted packets after the client's
// first: SERVICE_ACCEPT sets a reference size; a packet 16 bytes smaller is
// USERAUTH_SUCCESS (1 byte of content against 17); a packet of the size of
// the first USERAUTH_FAILURE is another failure. A first reply over 256
// bytes larger is a pre-auth banner, skipped once.
void AuthHeuristic::segment(bool from_client, std::uint32_t len_u) {
  if (decided_) return;
  const std::int64_t len = len_u;
  if (from_client) {
    saw_client_ = true;
    return;
  }
  if (!saw_client_) return;
  if (service_accept_size_ == 0) {
    service_accept_size_ = len;
    return;
  }
  if (userauth_failure_size_ == 0 && len + 16 == service_accept_size_) {
    decided_ = true;
    ++attempts_;
    result_ = SshLogRecord::Auth::kSuccess;
    return;
  }
  if (userauth_failure_size_ == 0) {
    if (!skipped_banner_ && len - service_accept_size_ > 256) {
      skipped_banner_ = true;
      return;
    }
    userauth_failure_size_ = len;
    return;
  }
  if (len == userauth_failure_size_) {
    ++attempts_;
    result_ = SshLogRecord::Auth::kFailure;
    return;
  }
  if (len - service_accept_size_ == -16) {
    decided_ = true;
    ++attempts_;
    result_ = SshLogRecord::Auth::kSuccess;
  }
}

SshAnalyzer::SshAnalyzer(StageContext& ctx, const SessionRecord& live)
    : ctx_(ctx), live_(&live), parser_{SshParser(false), SshParser(true)} {}

void SshAnalyzer::on_data(int side, std::uint64_t offset, std::span<const std::uint8_t> data) {
  side &= 1;
  const bool had_banner = parser_[side].banner_seen();
  parser_[side].on_data(offset, data);
  if (!had_banner && parser_[side].banner_seen()) {
    if (!started_) {
      started_ = true;
      header_ = make_header(*live_, ctx_.now_ns, ctx_.now_frame);
    }
    ctx_.field(AppField::kSshProtocol, FieldValue::of_string(parser_[side].banner()));
  }
  after(side);
}

void SshAnalyzer::on_gap(int side, std::uint64_t offset, std::uint64_t len) {
  parser_[side & 1].on_gap(offset, len);
  after(side & 1);
}

void SshAnalyzer::after(int side) {
  const SshParser& p = parser_[side];
  const auto& sizes = p.encrypted_sizes();
  for (; sizes_seen_[side] < sizes.size(); ++sizes_seen_[side]) auth_.segment(side == 0, sizes[sizes_seen_[side]]);
  for (; problems_seen_[side] < p.problems().size(); ++problems_seen_[side])
    ctx_.problem(live_->uid_view(), p.problems()[problems_seen_[side]]);
}

void SshAnalyzer::finish(const SessionRecord& live) {
  live_ = &live;
  if (!started_) return;  // no banner on either side: not SSH after all
  SshLogRecord r;
  static_cast<RecordHeader&>(r) = header_;
  r.id = make_header(live, 0, 0).id;
  // The client is the side that opened the streams, unless the session flipped since.
  const bool flipped = !(header_.id.orig_h == r.id.orig_h && header_.id.orig_p == r.id.orig_p);
  const SshParser& client = parser_[flipped ? 1 : 0];
  const SshParser& server = parser_[flipped ? 0 : 1];
  r.client = client.banner();
  r.server = server.banner();
  const std::string& v = !server.protocol_version().empty() ? server.protocol_version() : client.protocol_version();
  r.version = v == "1.99" || v.rfind("2", 0) == 0 ? 2 : v.rfind("1", 0) == 0 ? 1 : 0;
  if (client.kexinit() && server.kexinit()) {
    const Kexinit& c = *client.kexinit();
    const Kexinit& s = *server.kexinit();
    r.kex_alg = negotiate(c.kex, s.kex);
    r.host_key_alg = negotiate(c.host_key, s.host_key);
    r.cipher_alg = negotiate(c.cipher_c2s, s.cipher_c2s);
    r.mac_alg = negotiate(c.mac_c2s, s.mac_c2s);
    r.compression_alg = negotiate(c.compression_c2s, s.compression_c2s);
  }
  r.auth_success = auth_.result();
  r.auth_attempts = auth_.attempts();
  ++ctx_.stats.ssh;
  if (ctx_.out) ctx_.out->on_ssh(r);
}

}  // namespace pcapscope::proto::ssh

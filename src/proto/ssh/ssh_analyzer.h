// SSH for one TCP session: both banners, both KEXINITs (the algorithms both
// sides agree on, RFC 4253 §7.1), and whether authentication succeeded,
// inferred as Zeek infers it from the sizes of the encrypted packets that
// follow the key exchange (SSH.cc, ProcessEncrypted) -- the content is
// encrypted, the sizes are not.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "proto/analyzer.h"
#include "proto/ssh/ssh_parser.h"

namespace pcapscope::proto::ssh {

// The algorithm RFC 4253 §7.1 picks: the first of the client's list that the server also offers.
std::string negotiate(const std::vector<std::string>& client, const std::vector<std::string>& server);

// Zeek's authentication heuristic over the encrypted segment sizes in arrival order.
class AuthHeuristic {
 public:
  void segment(bool from_client, std::uint32_t len);
  bool decided() const { return decided_; }
  SshLogRecord::Auth result() const { return result_; }
  unsigned attempts() const { return attempts_; }

 private:
  bool saw_client_ = false, skipped_banner_ = false, decided_ = false;
  std::int64_t service_accept_size_ = 0, userauth_failure_size_ = 0;
  unsigned attempts_ = 0;
  SshLogRecord::Auth result_ = SshLogRecord::Auth::kUnset;
};

class SshAnalyzer final : public StreamAnalyzer {
 public:
  SshAnalyzer(StageContext& ctx, const SessionRecord& live);

  void on_data(int side, std::uint64_t offset, std::span<const std::uint8_t> data) override;
  void on_gap(int side, std::uint64_t offset, std::uint64_t len) override;
  void finish(const SessionRecord& live) override;

 private:
  void after(int side);

  StageContext& ctx_;
  const SessionRecord* live_;
  SshParser parser_[2];  // side 0: the client (the originator when the streams started)
  std::size_t sizes_seen_[2] = {0, 0};
  std::size_t problems_seen_[2] = {0, 0};
  AuthHeuristic auth_;
  RecordHeader header_;
  bool started_ = false;
};

}  // namespace pcapscope::proto::ssh

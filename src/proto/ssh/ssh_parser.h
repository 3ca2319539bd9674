// Incremental SSH parser for one direction of a connection: the version
// banner (RFC 4253 §4.2), then the unencrypted binary packet layer with
// KEXINIT decoded, then — after this direction's NEWKEYS (msg 21) — only the
// sizes of what follows are recorded (the first kMaxEncryptedSizes
// deliveries, as Zeek's SSH analyzer keeps for its auth heuristic).
//
// Segmentation is arbitrary; every read is bounded (banner line ≤ 255 bytes,
// packet ≤ kMaxPacket); problems are named ("ssh_bad_banner",
// "ssh_banner_too_long", "ssh_bad_packet_length", "ssh_bad_kexinit",
// "ssh_gap" ...) and never thrown. The binary layer cannot resync, so after a
// framing error or a gap before encryption the parser stops.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/stream_cursor.h"

namespace pcapscope::proto::ssh {

using Bytes = std::span<const std::uint8_t>;

inline constexpr std::size_t kMaxBannerLine = 255;
inline constexpr std::size_t kMaxPreBannerLines = 64;
inline constexpr std::uint32_t kMaxPacket = 256 * 1024;
inline constexpr std::size_t kMaxEncryptedSizes = 64;

struct Kexinit {
  std::array<std::uint8_t, 16> cookie{};
  std::vector<std::string> kex, host_key, cipher_c2s, cipher_s2c, mac_c2s, mac_s2c, compression_c2s,
      compression_s2c, languages_c2s, languages_s2c;
  bool first_kex_packet_follows = false;
};

// Parses a KEXINIT payload (starting with the message byte 20); nullopt if malformed.
std::optional<Kexinit> parse_kexinit(Bytes payload);

class SshParser {
 public:
  // IS_SERVER allows lines before the banner (RFC 4253 §4.2).
  explicit SshParser(bool is_server) : is_server_(is_server) {}

  void on_data(std::uint64_t offset, Bytes data);
  void on_gap(std::uint64_t offset, std::uint64_t len);

  bool banner_seen() const { return banner_seen_; }
  const std::string& banner() const { return banner_; }  // the whole line, without CR LF
  const std::string& protocol_version() const { return proto_version_; }  // "2.0", "1.99"
  const std::string& software() const { return software_; }
  const std::string& comments() const { return comments_; }
  const std::vector<std::string>& pre_banner_lines() const { return pre_banner_; }
  const std::optional<Kexinit>& kexinit() const { return kexinit_; }
  std::uint64_t packets() const { return packets_; }  // unencrypted packets parsed
  bool newkeys_seen() const { return encrypted_; }
  const std::vector<std::uint32_t>& encrypted_sizes() const { return encrypted_sizes_; }
  const std::vector<std::string>& problems() const { return problems_; }
  bool failed() const { return state_ == State::kDead; }

 private:
  enum class State : std::uint8_t { kBanner, kPackets, kEncrypted, kDead };
  void feed(const std::uint8_t* p, std::size_t n);
  void banner_line(std::string_view line);
  void parse_packets();
  void record_encrypted(std::size_t n);
  void fail(std::string_view problem);

  bool is_server_;
  State state_ = State::kBanner;
  std::string buf_;  // partial banner line or partial packet
  bool banner_seen_ = false;
  std::string banner_, proto_version_, software_, comments_;
  std::vector<std::string> pre_banner_;
  std::optional<Kexinit> kexinit_;
  std::uint64_t packets_ = 0;
  bool encrypted_ = false;
  std::vector<std::uint32_t> encrypted_sizes_;
  std::vector<std::string> problems_;
  StreamCursor cursor_;
};

}  // namespace pcapscope::proto::ssh

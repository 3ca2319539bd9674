#include "proto/ssh/ssh_parser.h"

#include <algorithm>
#include <cstring>

#include "core/bytes.h"

namespace pcapscope::proto::ssh {
namespace {

bool read_name_list(ByteCursor& c, std::vector<std::string>& out) {
  std::uint32_t len = c.be32();
  if (!c.ok() || !c.has(len)) return false;
  auto bytes = c.bytes(len);
  std::string_view s(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  while (!s.empty()) {
    std::size_t comma = s.find(',');
    out.emplace_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace

std::optional<Kexinit> parse_kexinit(Bytes payload) {
  ByteCursor c(payload);
  if (c.u8() != 20) return std::nullopt;
  Kexinit k;
  auto cookie = c.bytes(16);
  if (!c.ok()) return std::nullopt;
  std::copy(cookie.begin(), cookie.end(), k.cookie.begin());
  for (auto* list : {&k.kex, &k.host_key, &k.cipher_c2s, &k.cipher_s2c, &k.mac_c2s, &k.mac_s2c,
                     &k.compression_c2s, &k.compression_s2c, &k.languages_c2s, &k.languages_s2c}) {
    if (!read_name_list(c, *list)) return std::nullopt;
  }
  k.first_kex_packet_follows = c.u8() != 0;
  c.be32();  // reserved
  if (!c.ok()) return std::nullopt;
  return k;
}

void SshParser::on_data(std::uint64_t offset, Bytes data) {
  data = cursor_.admit(offset, data, [this](std::uint64_t at, std::uint64_t len) { on_gap(at, len); });
  feed(data.data(), data.size());
}

void SshParser::on_gap(std::uint64_t offset, std::uint64_t len) {
  cursor_.note_gap(offset, len);
  if (len == 0) return;
  if (state_ == State::kEncrypted) {
    problems_.emplace_back("ssh_gap");
    return;
  }
  if (state_ != State::kDead) fail("ssh_gap");
}

void SshParser::fail(std::string_view problem) {
  problems_.emplace_back(problem);
  state_ = State::kDead;
  buf_.clear();
}

void SshParser::record_encrypted(std::size_t n) {
  if (n > 0 && encrypted_sizes_.size() < kMaxEncryptedSizes)
    encrypted_sizes_.push_back(static_cast<std::uint32_t>(std::min<std::size_t>(n, UINT32_MAX)));
}

void SshParser::feed(const std::uint8_t* p, std::size_t n) {
  std::size_t i = 0;
  while (i < n && state_ == State::kBanner) {
    const void* nl = std::memchr(p + i, '\n', n - i);
    std::size_t end = nl ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(nl) - p) : n;
    if (buf_.size() + (end - i) > kMaxBannerLine + 1) {  // +1: the CR
      fail("ssh_banner_too_long");
      return;
    }
    buf_.append(reinterpret_cast<const char*>(p + i), end - i);
    if (!nl) return;
    i = end + 1;
    std::string line = std::move(buf_);
    buf_.clear();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    banner_line(line);
  }
  if (state_ == State::kEncrypted) {
    record_encrypted(n - i);
    return;
  }
  // One delivery may hold far more than one packet (reassembly can hand over
  // a long in-order run at once). Buffer it at most one maximal packet at a
  // time and parse after each slice: appending only the first slice dropped
  // the rest of the delivery silently and misframed everything after it.
  // parse_packets() consumes every complete packet, so the buffer is always
  // below kMaxPacket + 4 here and each round takes at least one byte.
  while (i < n && state_ == State::kPackets) {
    const std::size_t take = std::min(kMaxPacket + 4 - buf_.size(), n - i);
    buf_.append(reinterpret_cast<const char*>(p + i), take);
    i += take;
    parse_packets();
  }
  // NEWKEYS inside a slice: parse_packets() recorded the rest of that slice;
  // the rest of the delivery is encrypted too.
  if (state_ == State::kEncrypted) record_encrypted(n - i);
}

void SshParser::banner_line(std::string_view line) {
  // A banner is printable text (RFC 4253 §4.2); some servers pad theirs with
  // NULs. What follows the first NUL is padding, as tshark shows it too.
  line = line.substr(0, line.find('\0'));
  if (line.substr(0, 4) != "SSH-") {
    if (!is_server_) {
      fail("ssh_bad_banner");
    } else if (pre_banner_.size() >= kMaxPreBannerLines) {
      fail("ssh_too_many_pre_banner_lines");
    } else {
      pre_banner_.emplace_back(line);
    }
    return;
  }
  std::string_view rest = line.substr(4);
  std::size_t dash = rest.find('-');
  if (dash == std::string_view::npos || dash == 0) {
    fail("ssh_bad_banner");
    return;
  }
  proto_version_ = std::string(rest.substr(0, dash));
  for (char c : proto_version_) {
    if (!((c >= '0' && c <= '9') || c == '.')) {
      fail("ssh_bad_banner");
      return;
    }
  }
  std::string_view sw = rest.substr(dash + 1);
  std::size_t sp = sw.find(' ');
  if (sp != std::string_view::npos) {
    comments_ = std::string(sw.substr(sp + 1));
    sw = sw.substr(0, sp);
  }
  if (sw.empty()) {
    fail("ssh_bad_banner");
    return;
  }
  software_ = std::string(sw);
  banner_ = std::string(line);
  banner_seen_ = true;
  // SSH-1.x has a different packet layer; only 2.0 and 1.99 are parsed further.
  state_ = (proto_version_ == "2.0" || proto_version_ == "1.99") ? State::kPackets : State::kDead;
}

void SshParser::parse_packets() {
  std::size_t pos = 0;
  const auto* base = reinterpret_cast<const std::uint8_t*>(buf_.data());
  while (state_ == State::kPackets && buf_.size() - pos >= 5) {
    std::uint32_t packet_length = load_be32(base + pos);
    std::uint8_t padding = base[pos + 4];
    if (packet_length < 5 || packet_length > kMaxPacket || padding < 4 || padding >= packet_length) {
      fail("ssh_bad_packet_length");
      return;
    }
    if (buf_.size() - pos < 4 + static_cast<std::size_t>(packet_length)) break;
    Bytes payload(base + pos + 5, packet_length - 1 - padding);
    ++packets_;
    if (!payload.empty() && payload[0] == 20) {
      auto k = parse_kexinit(payload);
      if (k) {
        kexinit_ = std::move(k);
      } else {
        problems_.emplace_back("ssh_bad_kexinit");
      }
    }
    pos += 4 + packet_length;
    if (!payload.empty() && payload[0] == 21) {
      state_ = State::kEncrypted;
      encrypted_ = true;
      record_encrypted(buf_.size() - pos);
      buf_.clear();
      return;
    }
  }
  if (state_ == State::kPackets) buf_.erase(0, pos);
}

}  // namespace pcapscope::proto::ssh

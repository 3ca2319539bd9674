// Zeek's connection history string (conn.log `history`).
//
// Letters are upper case for the originator and lower case for the
// responder. Zeek's rules, which this reproduces:
//  - 'a', 'd', 'i', 'q' (and UDP's 'd'): once per direction (check()).
//  - 's', 'h', 'f', 'r': again whenever the sequence number differs from the
//    last packet with that flag (tcp_state.cc decides; add()).
//  - 'c', 'g', 't', 'w': logarithmically, on the 1st, 10th, 100th ... event
//    (scaled()).
//  - '^': the roles were flipped.
// See base/protocols/conn/main.zeek (Conn::Info$history) and Zeek's
// Connection::CheckHistory / ScaledHistoryEntry.
#pragma once

#include <array>
#include <cctype>
#include <cstdint>
#include <string_view>

namespace pcapscope::session {

// Which events have been recorded once already; responder bits are << 16.
namespace hist {
inline constexpr std::uint32_t kSyn = 0x1, kFin = 0x2, kRst = 0x4, kFinRst = 0x8, kData = 0x10, kAck = 0x20,
                               kMultiFlag = 0x40;
}  // namespace hist

// A counter that adds its letter on the 1st, 10th, 100th ... event.
struct ScaledCounter {
  std::uint32_t count = 0;
  std::uint32_t threshold = 1;
};

class History {
 public:
  static constexpr std::size_t kMaxLetters = 31;  // longer histories are cut (flag `truncated()`)

  void add(char c) {
    if (len_ < kMaxLetters) {
      letters_[len_++] = c;
    } else {
      truncated_ = true;
    }
  }
  // Records CODE the first time MASK is seen (for this side) and returns
  // false; returns true when MASK was seen before (Zeek's CheckHistory).
  bool check(std::uint32_t mask, char code, bool orig) {
    if (!orig) {
      mask <<= 16;
      code = static_cast<char>(std::tolower(static_cast<unsigned char>(code)));
    }
    if (seen_ & mask) return true;
    seen_ |= mask;
    add(code);
    return false;
  }
  void add_side(char code, bool orig) {
    add(orig ? code : static_cast<char>(std::tolower(static_cast<unsigned char>(code))));
  }
  void scaled(char code, bool orig, ScaledCounter& c) {
    if (++c.count != c.threshold) return;
    add_side(code, orig);
    if (c.threshold <= UINT32_MAX / 10) c.threshold *= 10;
    else c.threshold = UINT32_MAX;  // stop once 10^9 is passed
  }
  // Roles swapped: Zeek's FlipRoles only logs '^'; letters already logged
  // keep their case and the once-per-side bits stay where they were.
  void flip() { add('^'); }

  std::string_view view() const { return {letters_.data(), len_}; }
  bool truncated() const { return truncated_; }
  template <std::size_t N>
  void copy_to(std::array<char, N>& out) const {
    static_assert(N > kMaxLetters);
    for (std::size_t i = 0; i < len_; ++i) out[i] = letters_[i];
    out[len_] = '\0';
  }

 private:
  std::array<char, kMaxLetters> letters_{};
  std::uint8_t len_ = 0;
  bool truncated_ = false;
  std::uint32_t seen_ = 0;
};

}  // namespace pcapscope::session

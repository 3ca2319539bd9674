// Bounds-checked, non-throwing reads of integers from byte views.
//
// Every decoder reads through these: a read past the end yields `false` (or
// the caller checks size first), never undefined behaviour. Loads are done
// with memcpy so unaligned packet data is fine and compilers emit one mov+bswap.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <span>

namespace pcapscope {

inline std::uint16_t load_be16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_be32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return std::endian::native == std::endian::little ? __builtin_bswap32(v) : v;
}
inline std::uint64_t load_be64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return std::endian::native == std::endian::little ? __builtin_bswap64(v) : v;
}
inline std::uint16_t load_le16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | (p[1] << 8));
}
inline std::uint32_t load_le32(const std::uint8_t* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return std::endian::native == std::endian::big ? __builtin_bswap32(v) : v;
}
inline std::uint64_t load_le64(const std::uint8_t* p) {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return std::endian::native == std::endian::big ? __builtin_bswap64(v) : v;
}
inline std::uint16_t load16(const std::uint8_t* p, bool big_endian) {
  return big_endian ? load_be16(p) : load_le16(p);
}
inline std::uint32_t load32(const std::uint8_t* p, bool big_endian) {
  return big_endian ? load_be32(p) : load_le32(p);
}
inline std::uint64_t load64(const std::uint8_t* p, bool big_endian) {
  return big_endian ? load_be64(p) : load_le64(p);
}

// A read cursor over a byte span. Reads that would run past the end set the
// cursor's error flag and return 0; callers check ok() once after a run of reads.
class ByteCursor {
 public:
  explicit ByteCursor(std::span<const std::uint8_t> data) : data_(data) {}

  std::size_t pos() const { return pos_; }
  std::size_t remaining() const { return pos_ <= data_.size() ? data_.size() - pos_ : 0; }
  bool ok() const { return ok_; }
  bool has(std::size_t n) const { return remaining() >= n; }

  std::uint8_t u8() { return has(1) ? data_[pos_++] : fail<std::uint8_t>(); }
  std::uint16_t be16() { return take<std::uint16_t>(2, [](const std::uint8_t* p) { return load_be16(p); }); }
  std::uint32_t be32() { return take<std::uint32_t>(4, [](const std::uint8_t* p) { return load_be32(p); }); }
  std::span<const std::uint8_t> bytes(std::size_t n) {
    if (!has(n)) return fail_span();
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  void skip(std::size_t n) {
    if (!has(n)) {
      ok_ = false;
      pos_ = data_.size();
    } else {
      pos_ += n;
    }
  }

 private:
  template <typename T, typename F>
  T take(std::size_t n, F f) {
    if (!has(n)) return fail<T>();
    T v = f(data_.data() + pos_);
    pos_ += n;
    return v;
  }
  template <typename T>
  T fail() {
    ok_ = false;
    pos_ = data_.size();
    return T{};
  }
  std::span<const std::uint8_t> fail_span() {
    ok_ = false;
    pos_ = data_.size();
    return {};
  }

  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace pcapscope

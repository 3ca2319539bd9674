// Writing carved packets: original bytes, original lengths, original
// timestamp resolution and link types, so a carved file is the evidence
// itself rather than a re-encoding of it.
#include "pcapscope/writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

namespace pcapscope {
namespace {

constexpr std::size_t kBufferSize = 1u << 20;
constexpr std::uint32_t kDefaultSnaplen = 262144;

bool ends_with_ci(const std::string& s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(), s.end() - static_cast<std::ptrdiff_t>(suffix.size()),
                    [](char want, char c) { return std::tolower(static_cast<unsigned char>(c)) == want; });
}

// Buffered output to a descriptor; remembers the first error for close().
class Output {
 public:
  explicit Output(int fd) : fd_(fd) { buf_.reserve(kBufferSize); }
  ~Output() {
    if (fd_ >= 0) ::close(fd_);
  }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  void put(const void* p, std::size_t n) {
    if (!error_.empty()) return;
    if (buf_.size() + n > kBufferSize) flush();
    if (n >= kBufferSize) {
      write_all(static_cast<const std::uint8_t*>(p), n);
      return;
    }
    const auto* b = static_cast<const std::uint8_t*>(p);
    buf_.insert(buf_.end(), b, b + n);
  }
  void u16(std::uint16_t v) { put(&v, 2); }  // native byte order: readers follow the magic
  void u32(std::uint32_t v) { put(&v, 4); }
  void u64(std::uint64_t v) { put(&v, 8); }
  void zeros(std::size_t n) {
    static constexpr std::uint8_t kZeros[4] = {0, 0, 0, 0};
    put(kZeros, n);
  }

  void flush() {
    if (!buf_.empty()) write_all(buf_.data(), buf_.size());
    buf_.clear();
  }
  Result<bool> close() {
    flush();
    if (fd_ >= 0 && ::close(fd_) != 0 && error_.empty()) error_ = std::strerror(errno);
    fd_ = -1;
    if (!error_.empty()) return Error{"write failed: " + error_};
    return true;
  }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

 private:
  void write_all(const std::uint8_t* p, std::size_t n) {
    while (n > 0 && error_.empty()) {
      ssize_t w = ::write(fd_, p, n);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        error_ = std::strerror(errno);
        return;
      }
      p += w;
      n -= static_cast<std::size_t>(w);
    }
  }

  int fd_;
  std::vector<std::uint8_t> buf_;
  std::string error_;
};

class WriterBase : public CaptureWriter {
 public:
  WriterBase(int fd, std::vector<Interface> interfaces) : out_(fd), interfaces_(std::move(interfaces)) {}
  ~WriterBase() override {
    if (!closed_) (void)out_.close();  // best effort; callers that care call close()
  }
  WriterBase(const WriterBase&) = delete;
  WriterBase& operator=(const WriterBase&) = delete;
  Result<bool> close() override {
    if (closed_) return true;
    closed_ = true;
    return out_.close();
  }

 protected:
  Result<bool> status() {
    if (out_.failed()) return Error{"write failed: " + out_.error()};
    return true;
  }

  Output out_;
  std::vector<Interface> interfaces_;
  bool closed_ = false;
};

class PcapWriter final : public WriterBase {
 public:
  using WriterBase::WriterBase;

  Result<bool> write(const Packet& p) override {
    if (closed_) return Error{"write after close"};
    if (!header_written_) {
      link_type_ = p.link_type;
      // pcap has one resolution per file: nanoseconds if any input needs it.
      nsec_ = std::any_of(interfaces_.begin(), interfaces_.end(), [](const Interface& i) {
        return i.tsresol.is_binary() ? i.tsresol.exponent() > 19 : i.tsresol.exponent() > 6;
      });
      std::uint32_t snaplen = kDefaultSnaplen;
      if (p.interface < interfaces_.size() && interfaces_[p.interface].snaplen > 0)
        snaplen = interfaces_[p.interface].snaplen;
      out_.u32(nsec_ ? 0xa1b23c4d : 0xa1b2c3d4);
      out_.u16(2);
      out_.u16(4);
      out_.u32(0);  // thiszone
      out_.u32(0);  // sigfigs
      out_.u32(snaplen);
      out_.u32(link_type_);
      header_written_ = true;
    } else if (p.link_type != link_type_) {
      return Error{"pcap holds one link type; write .pcapng to keep several"};
    }
    // ts_ns is exact for every decimal resolution down to nanoseconds, which
    // covers pcap's two; pcap cannot hold times before 1970.
    std::int64_t ns = std::max<std::int64_t>(p.ts_ns, 0);
    auto sec = static_cast<std::uint32_t>(std::min<std::int64_t>(ns / 1000000000, 0xffffffffLL));
    auto frac = static_cast<std::uint32_t>(ns % 1000000000);
    out_.u32(sec);
    out_.u32(nsec_ ? frac : frac / 1000);
    out_.u32(static_cast<std::uint32_t>(p.data.size()));
    out_.u32(p.orig_len);
    out_.put(p.data.data(), p.data.size());
    return status();
  }

 private:
  bool header_written_ = false;
  bool nsec_ = false;
  std::uint32_t link_type_ = 0;
};

class PcapngWriter final : public WriterBase {
 public:
  PcapngWriter(int fd, std::vector<Interface> interfaces) : WriterBase(fd, std::move(interfaces)) {
    // SHB: no options, section length unknown (-1).
    out_.u32(0x0A0D0D0A);
    out_.u32(28);
    out_.u32(0x1A2B3C4D);
    out_.u16(1);
    out_.u16(0);
    out_.u64(~std::uint64_t{0});
    out_.u32(28);
    for (const Interface& i : interfaces_) write_idb(i);
    written_ifaces_ = static_cast<std::uint32_t>(interfaces_.size());
  }

  Result<bool> write(const Packet& p) override {
    if (closed_) return Error{"write after close"};
    std::uint32_t itf = p.interface;
    std::uint64_t ticks = p.ts_ticks;
    if (itf >= interfaces_.size() || interfaces_[itf].link_type != p.link_type) {
      // A packet from an interface the writer was not told about: give it an
      // IDB of its own, in nanoseconds from ts_ns (its own resolution is unknown).
      itf = extra_interface(p.link_type);
      ticks = static_cast<std::uint64_t>(std::max<std::int64_t>(p.ts_ns, 0));
    }
    auto caplen = static_cast<std::uint32_t>(p.data.size());
    std::uint32_t padded = (caplen + 3) & ~3u;
    std::uint32_t len = 32 + padded;
    out_.u32(6);
    out_.u32(len);
    out_.u32(itf);
    out_.u32(static_cast<std::uint32_t>(ticks >> 32));
    out_.u32(static_cast<std::uint32_t>(ticks));
    out_.u32(caplen);
    out_.u32(p.orig_len);
    out_.put(p.data.data(), caplen);
    out_.zeros(padded - caplen);
    out_.u32(len);
    return status();
  }

 private:
  void write_idb(const Interface& i) {
    std::size_t name_len = i.name.size() > 0xfff0 ? 0xfff0 : i.name.size();
    std::uint32_t opts = 0;
    if (!i.name.empty()) opts += 4 + ((static_cast<std::uint32_t>(name_len) + 3) & ~3u);
    if (i.tsresol.raw != 6) opts += 8;
    if (i.tsoffset_sec != 0) opts += 12;
    if (opts > 0) opts += 4;  // opt_endofopt
    std::uint32_t len = 20 + opts;
    out_.u32(1);
    out_.u32(len);
    out_.u16(static_cast<std::uint16_t>(i.link_type));
    out_.u16(0);
    out_.u32(i.snaplen);
    if (!i.name.empty()) {
      out_.u16(2);
      out_.u16(static_cast<std::uint16_t>(name_len));
      out_.put(i.name.data(), name_len);
      out_.zeros(((name_len + 3) & ~std::size_t{3}) - name_len);
    }
    if (i.tsresol.raw != 6) {
      out_.u16(9);
      out_.u16(1);
      out_.put(&i.tsresol.raw, 1);
      out_.zeros(3);
    }
    if (i.tsoffset_sec != 0) {
      out_.u16(14);
      out_.u16(8);
      out_.u64(static_cast<std::uint64_t>(i.tsoffset_sec));
    }
    if (opts > 0) out_.u32(0);
    out_.u32(len);
  }

  std::uint32_t extra_interface(std::uint32_t link_type) {
    for (const auto& [lt, idx] : extra_) {
      if (lt == link_type) return idx;
    }
    Interface i;
    i.link_type = link_type;
    i.tsresol.raw = 9;
    write_idb(i);
    extra_.emplace_back(link_type, written_ifaces_);
    return written_ifaces_++;
  }

  std::uint32_t written_ifaces_ = 0;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> extra_;  // link type -> IDB index
};

}  // namespace

WriteFormat write_format_for_path(const std::string& path) {
  if (ends_with_ci(path, ".pcapng") || ends_with_ci(path, ".ntar")) return WriteFormat::kPcapng;
  return WriteFormat::kPcap;
}

Result<std::unique_ptr<CaptureWriter>> CaptureWriter::create(const std::string& path, WriteFormat format,
                                                             const std::vector<Interface>& interfaces,
                                                             bool overwrite) {
  // O_EXCL makes "refuse to overwrite" atomic: no window between a check and the create.
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  int fd = ::open(path.c_str(), flags, 0644);
  if (fd < 0) {
    if (errno == EEXIST) return Error{"output file exists (use overwrite to replace it)"};
    return Error{std::string("cannot create: ") + std::strerror(errno)};
  }
  if (format == WriteFormat::kPcapng) return std::unique_ptr<CaptureWriter>(std::make_unique<PcapngWriter>(fd, interfaces));
  return std::unique_ptr<CaptureWriter>(std::make_unique<PcapWriter>(fd, interfaces));
}

}  // namespace pcapscope

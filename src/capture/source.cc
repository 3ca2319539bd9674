#include "capture/source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/evidence_file.h"

namespace pcapscope::capture {
namespace {

constexpr std::size_t kReadBlock = 4u << 20;  // large reads: few syscalls, good for pipes and gzip
constexpr std::size_t kCompressedBlock = 1u << 20;
constexpr std::size_t kFirstBlock = 4u << 10;  // the window's first block when the size is unknown or small

// Raw bytes from a descriptor, after the few bytes already read to sniff the magic.
class FdInput {
 public:
  FdInput(int fd, bool owned, std::vector<std::uint8_t> sniffed)
      : fd_(fd), owned_(owned), sniffed_(std::move(sniffed)) {}
  ~FdInput() {
    if (owned_) ::close(fd_);
  }
  FdInput(const FdInput&) = delete;
  FdInput& operator=(const FdInput&) = delete;

  // Returns bytes read, 0 at end of input, or -1 with ERROR set.
  long read(std::uint8_t* dst, std::size_t cap, std::string& error) {
    if (sniffed_pos_ < sniffed_.size()) {
      std::size_t n = std::min(cap, sniffed_.size() - sniffed_pos_);
      std::memcpy(dst, sniffed_.data() + sniffed_pos_, n);
      sniffed_pos_ += n;
      return static_cast<long>(n);
    }
    for (;;) {
      ssize_t n = ::read(fd_, dst, cap);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = std::string("read error: ") + std::strerror(errno);
        return -1;
      }
      consumed_ += static_cast<std::uint64_t>(n);
      return n;
    }
  }
  std::uint64_t consumed() const { return consumed_ + sniffed_.size(); }

 private:
  int fd_;
  bool owned_;
  std::vector<std::uint8_t> sniffed_;
  std::size_t sniffed_pos_ = 0;
  std::uint64_t consumed_ = 0;
};

// Produces decompressed (or plain) bytes; 0 at the end or on error (ERROR set).
class Producer {
 public:
  virtual ~Producer() = default;
  virtual std::size_t produce(std::uint8_t* dst, std::size_t cap, std::string& error) = 0;
  virtual std::uint64_t stored_bytes() const = 0;
  // Of stored_bytes(), those the decompressor has taken in (the rest waits in
  // its input buffer): the compression ratio is judged on these.
  virtual std::uint64_t stored_bytes_used() const { return stored_bytes(); }
  virtual Compression compression() const = 0;
};

class PlainProducer final : public Producer {
 public:
  explicit PlainProducer(std::unique_ptr<FdInput> in) : in_(std::move(in)) {}
  std::size_t produce(std::uint8_t* dst, std::size_t cap, std::string& error) override {
    long n = in_->read(dst, cap, error);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  std::uint64_t stored_bytes() const override { return in_->consumed(); }
  Compression compression() const override { return Compression::kNone; }

 private:
  std::unique_ptr<FdInput> in_;
};

class GzipProducer final : public Producer {
 public:
  GzipProducer(std::unique_ptr<FdInput> in, std::size_t block) : in_(std::move(in)), buf_(block) {
    std::memset(&zs_, 0, sizeof zs_);
    ok_ = inflateInit2(&zs_, 16 + MAX_WBITS) == Z_OK;  // 16: gzip wrapper only
  }
  ~GzipProducer() override {
    if (ok_) inflateEnd(&zs_);
  }
  GzipProducer(const GzipProducer&) = delete;
  GzipProducer& operator=(const GzipProducer&) = delete;

  std::size_t produce(std::uint8_t* dst, std::size_t cap, std::string& error) override {
    if (!ok_) {
      error = "cannot initialise zlib";
      return 0;
    }
    zs_.next_out = dst;
    zs_.avail_out = static_cast<uInt>(std::min<std::size_t>(cap, 1u << 30));
    while (zs_.avail_out > 0 && !done_) {
      if (zs_.avail_in == 0 && !fill(error)) break;
      if (zs_.avail_in == 0) {
        // Input ended: fine between members, a cut file inside one -- once
        // the output inflate still holds (the caller's buffer was full last
        // time) has been drained.
        if (in_member_) {
          const uInt before = zs_.avail_out;
          const int rc = inflate(&zs_, Z_NO_FLUSH);
          if (rc == Z_STREAM_END) {
            in_member_ = false;
            continue;
          }
          if ((rc == Z_OK || rc == Z_BUF_ERROR) && zs_.avail_out < before) continue;
          error = "gzip stream is truncated";
        }
        done_ = true;
        break;
      }
      int rc = inflate(&zs_, Z_NO_FLUSH);
      in_member_ = true;
      if (rc == Z_STREAM_END) {
        in_member_ = false;
        // Concatenated members (cat a.gz b.gz, bgzip) are one stream; anything
        // else after a member is trailing garbage that gzip(1) also ignores.
        if (zs_.avail_in < 2 && !fill_more(error)) break;
        if (zs_.avail_in < 2 || zs_.next_in[0] != 0x1f || zs_.next_in[1] != 0x8b) {
          done_ = true;
          break;
        }
        inflateReset(&zs_);
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        error = std::string("gzip data error: ") + (zs_.msg ? zs_.msg : "corrupt stream");
        done_ = true;
        break;
      }
    }
    return static_cast<std::size_t>(zs_.next_out - dst);
  }
  std::uint64_t stored_bytes() const override { return in_->consumed(); }
  std::uint64_t stored_bytes_used() const override { return in_->consumed() - zs_.avail_in; }
  Compression compression() const override { return Compression::kGzip; }

 private:
  bool fill(std::string& error) {
    long n = in_->read(buf_.data(), buf_.size(), error);
    if (n < 0) {
      done_ = true;
      return false;
    }
    zs_.next_in = buf_.data();
    zs_.avail_in = static_cast<uInt>(n);
    return true;
  }
  // Tops up the input so at least two bytes are available for the member magic.
  bool fill_more(std::string& error) {
    if (zs_.avail_in > 0) {
      std::memmove(buf_.data(), zs_.next_in, zs_.avail_in);
    }
    std::size_t have = zs_.avail_in;
    while (have < 2) {
      long n = in_->read(buf_.data() + have, buf_.size() - have, error);
      if (n < 0) {
        done_ = true;
        return false;
      }
      if (n == 0) break;
      have += static_cast<std::size_t>(n);
    }
    zs_.next_in = buf_.data();
    zs_.avail_in = static_cast<uInt>(have);
    return true;
  }

  std::unique_ptr<FdInput> in_;
  std::vector<std::uint8_t> buf_;
  z_stream zs_;
  bool ok_ = false;
  bool done_ = false;
  bool in_member_ = false;
};

class ZstdProducer final : public Producer {
 public:
  ZstdProducer(std::unique_ptr<FdInput> in, std::size_t block) : in_(std::move(in)), buf_(block),
        ctx_(ZSTD_createDCtx()) {}
  ~ZstdProducer() override { ZSTD_freeDCtx(ctx_); }
  ZstdProducer(const ZstdProducer&) = delete;
  ZstdProducer& operator=(const ZstdProducer&) = delete;

  std::size_t produce(std::uint8_t* dst, std::size_t cap, std::string& error) override {
    if (!ctx_) {
      error = "cannot initialise zstd";
      return 0;
    }
    ZSTD_outBuffer out{dst, cap, 0};
    while (out.pos < out.size && !done_) {
      if (zin_.pos == zin_.size) {
        long n = in_->read(buf_.data(), buf_.size(), error);
        if (n < 0) {
          done_ = true;
          break;
        }
        if (n == 0) {
          if (frame_open_) {
            // The decoder may still hold output it could not give last time
            // (the caller's buffer was full): drain it with no new input
            // before calling the frame cut short.
            ZSTD_inBuffer none{nullptr, 0, 0};
            const std::size_t before = out.pos;
            const std::size_t rc = ZSTD_decompressStream(ctx_, &out, &none);
            if (!ZSTD_isError(rc) && (out.pos > before || rc == 0)) {
              frame_open_ = rc != 0;
              continue;
            }
            error = "zstd stream is truncated";
          }
          done_ = true;
          break;
        }
        zin_ = ZSTD_inBuffer{buf_.data(), static_cast<std::size_t>(n), 0};
      }
      std::size_t rc = ZSTD_decompressStream(ctx_, &out, &zin_);
      if (ZSTD_isError(rc)) {
        error = std::string("zstd data error: ") + ZSTD_getErrorName(rc);
        done_ = true;
        break;
      }
      frame_open_ = rc != 0;  // 0: a frame just ended (multiple frames are read on)
    }
    return out.pos;
  }
  std::uint64_t stored_bytes() const override { return in_->consumed(); }
  std::uint64_t stored_bytes_used() const override { return in_->consumed() - (zin_.size - zin_.pos); }
  Compression compression() const override { return Compression::kZstd; }

 private:
  std::unique_ptr<FdInput> in_;
  std::vector<std::uint8_t> buf_;
  ZSTD_DCtx* ctx_;
  ZSTD_inBuffer zin_{nullptr, 0, 0};
  bool done_ = false;
  bool frame_open_ = false;
};

// Window over a producer. The window only grows when a view asks for more
// than it holds (a pcapng block up to 16 MiB plus lookahead), so steady-state
// reading allocates nothing; consumed bytes are dropped by compaction.
class StreamSource final : public Source {
 public:
  // The window starts at the file's size when that is small (many small
  // captures, and fuzzing, should not pay for zeroing 4 MiB each) and
  // doubles up to kReadBlock while data keeps coming (decompression, pipes).
  StreamSource(std::unique_ptr<Producer> producer, std::uint64_t stored_size, const OpenOptions& options)
      : producer_(std::move(producer)),
        stored_size_(stored_size),
        max_bytes_(options.max_decompressed_bytes),
        max_ratio_(options.max_compression_ratio),
        block_(static_cast<std::size_t>(std::clamp<std::uint64_t>(stored_size + 1, kFirstBlock, kReadBlock))) {}

  Bytes view(std::uint64_t pos, std::size_t want) override {
    if (pos < base_) return {};  // released bytes are gone; readers never ask for them
    if (base_ + len_ < pos + want && !eof_) fill(pos, want);
    if (pos >= base_ + len_) return {};
    std::size_t rel = static_cast<std::size_t>(pos - base_);
    return Bytes(buf_.data() + rel, len_ - rel);
  }
  void release(std::uint64_t pos) override { keep_ = std::max(keep_, pos); }
  // A regular file's size is its stored size even if a decompressor stops
  // before its end (trailing garbage, corruption); pipes count what was read.
  std::uint64_t stored_bytes() const override { return stored_size_ > 0 ? stored_size_ : producer_->stored_bytes(); }
  std::uint64_t data_bytes() const override { return base_ + len_; }
  Compression compression() const override { return producer_->compression(); }

 private:
  void fill(std::uint64_t pos, std::size_t want) {
    while (base_ + len_ < pos + want && !eof_) {
      if (buf_.size() - len_ < block_) {
        // Drop what the reader released; grow only if that is not room enough.
        std::uint64_t keep = std::min(std::max(keep_, base_), std::min(pos, base_ + len_));
        std::size_t drop = static_cast<std::size_t>(keep - base_);
        if (drop > 0) {
          std::memmove(buf_.data(), buf_.data() + drop, len_ - drop);
          base_ += drop;
          len_ -= drop;
        }
        // Grown one block at a time, never straight to what was asked: a
        // hostile length (a 16 MiB pcapng block in a 1 KiB file) must not
        // cost 16 MiB before the end of the data says it is not there.
        if (buf_.size() - len_ < block_) {
          buf_.resize(len_ + block_);
          block_ = std::min(block_ * 2, kReadBlock);
        }
      }
      std::size_t n = producer_->produce(buf_.data() + len_, buf_.size() - len_, stream_error_);
      if (n == 0) {
        eof_ = true;
        break;
      }
      len_ += n;
      if (producer_->compression() != Compression::kNone) check_bomb();
    }
  }

  // Stops the data at a decompression bound: what was produced past the size
  // bound is dropped, so the data ends exactly there whatever the block size.
  void check_bomb() {
    const std::uint64_t total = base_ + len_;
    if (total > max_bytes_) {
      len_ -= static_cast<std::size_t>(total - max_bytes_);
      stop(fmt::format("decompression stopped after {} bytes (max_decompressed_size)", max_bytes_));
      return;
    }
    const std::uint64_t in = std::max<std::uint64_t>(producer_->stored_bytes_used(), 1);
    if (max_ratio_ > 0 && total > kRatioGrace && total / in > max_ratio_) {
      stop(fmt::format("decompression stopped after {} bytes: {} times the {} compressed bytes read "
                       "(max_compression_ratio {}; a decompression bomb?)",
                       total, total / in, in, max_ratio_));
    }
  }
  void stop(std::string why) {
    stream_error_ = std::move(why);
    limit_reached_ = true;
    eof_ = true;
  }

  // Small files may be highly compressible without being bombs; the ratio is judged past this.
  static constexpr std::uint64_t kRatioGrace = std::uint64_t{64} << 20;

  std::unique_ptr<Producer> producer_;
  std::uint64_t stored_size_;
  std::uint64_t max_bytes_;
  std::uint64_t max_ratio_;
  std::size_t block_;       // bytes to make room for when the window fills
  std::vector<std::uint8_t> buf_;
  std::uint64_t base_ = 0;  // file offset of buf_[0]
  std::uint64_t keep_ = 0;  // bytes before this offset may be dropped
  std::size_t len_ = 0;     // valid bytes in buf_
  bool eof_ = false;
};

class MemorySource final : public Source {
 public:
  explicit MemorySource(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}
  Bytes view(std::uint64_t pos, std::size_t) override {
    if (pos >= bytes_.size()) return {};
    return Bytes(bytes_.data() + pos, bytes_.size() - static_cast<std::size_t>(pos));
  }
  std::uint64_t stored_bytes() const override { return bytes_.size(); }
  std::uint64_t data_bytes() const override { return bytes_.size(); }
  Compression compression() const override { return Compression::kNone; }

 private:
  std::vector<std::uint8_t> bytes_;
};

Compression sniff(const std::vector<std::uint8_t>& head) {
  if (head.size() >= 2 && head[0] == 0x1f && head[1] == 0x8b) return Compression::kGzip;
  if (head.size() >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd)
    return Compression::kZstd;
  return Compression::kNone;
}

std::unique_ptr<Source> stream_over(int fd, bool owned, std::vector<std::uint8_t> head, std::uint64_t stored_size,
                                    const OpenOptions& options) {
  Compression c = sniff(head);
  auto in = std::make_unique<FdInput>(fd, owned, std::move(head));
  // Compressed input is read in blocks of up to 1 MiB, less for a small file.
  const auto in_block = static_cast<std::size_t>(
      stored_size > 0 ? std::clamp<std::uint64_t>(stored_size + 1, kFirstBlock, kCompressedBlock) : kCompressedBlock);
  std::unique_ptr<Producer> p;
  switch (c) {
    case Compression::kGzip: p = std::make_unique<GzipProducer>(std::move(in), in_block); break;
    case Compression::kZstd:
      p = std::make_unique<ZstdProducer>(std::move(in), std::max(in_block, ZSTD_DStreamInSize()));
      break;
    case Compression::kNone: p = std::make_unique<PlainProducer>(std::move(in)); break;
  }
  return std::make_unique<StreamSource>(std::move(p), stored_size, options);
}

// Reads up to 4 bytes (fewer only at end of input) to sniff the compression magic.
Result<std::vector<std::uint8_t>> read_head(int fd) {
  std::vector<std::uint8_t> head(4);
  std::size_t have = 0;
  while (have < head.size()) {
    ssize_t n = ::read(fd, head.data() + have, head.size() - have);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{std::string("read error: ") + std::strerror(errno)};
    if (n == 0) break;
    have += static_cast<std::size_t>(n);
  }
  head.resize(have);
  return head;
}

}  // namespace

Result<std::unique_ptr<Source>> open_source(const std::string& path, const OpenOptions& options) {
  if (path == "-") {
    auto head = read_head(STDIN_FILENO);
    if (!head) return head.error();
    if (head->empty()) return Error{"empty input"};
    return stream_over(STDIN_FILENO, false, std::move(*head), 0, options);
  }
  auto fd = open_evidence(path);
  if (!fd) return fd.error();
  struct stat st{};
  if (::fstat(*fd, &st) != 0) {
    Error e{std::strerror(errno)};
    ::close(*fd);
    return e;
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(*fd);
    return Error{"is a directory"};
  }
  auto head = read_head(*fd);
  if (!head) {
    ::close(*fd);
    return head.error();
  }
  if (head->empty()) {
    ::close(*fd);
    return Error{"empty file"};
  }
  // Regular files are read in large blocks like every other input, not
  // mmapped: measured on the 538 MB benchmark capture, mmap spent most of its
  // time stalled on the first touch of each page (the record header load),
  // and block reads were 2.2x faster end to end with a 14 MiB resident set.
  if (S_ISREG(st.st_mode)) ::posix_fadvise(*fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  std::uint64_t size = S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
  return stream_over(*fd, true, std::move(*head), size, options);
}

std::unique_ptr<Source> memory_source(std::vector<std::uint8_t> bytes) {
  return std::make_unique<MemorySource>(std::move(bytes));
}

}  // namespace pcapscope::capture

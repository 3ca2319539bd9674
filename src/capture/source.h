// Byte sources for the capture readers: files, stdin, gzip and zstd, all read
// in large blocks through one reused window (see open_source() for why not mmap).
//
// Readers address bytes by absolute offset in the (decompressed) file and ask
// for a view of at least `want` bytes. They release() offsets they are done
// with, which lets the stream source drop what lies before them; that keeps a
// stream reader's memory bounded while giving the checks and the resync scan
// whatever lookahead they ask for.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pcapscope/capture.h"
#include "pcapscope/result.h"

namespace pcapscope::capture {

class Source {
 public:
  virtual ~Source() = default;

  // A view starting at POS holding min(WANT, bytes from POS to end of data) bytes or more.
  // POS must not be below the last release() mark. Earlier views may be invalidated.
  virtual Bytes view(std::uint64_t pos, std::size_t want) = 0;

  // The reader will not look before POS again: a stream may drop those bytes.
  virtual void release(std::uint64_t pos) { (void)pos; }

  // Bytes of input consumed as stored (compressed size for compressed input).
  virtual std::uint64_t stored_bytes() const = 0;
  // Decompressed bytes produced so far (the total once the end was seen).
  virtual std::uint64_t data_bytes() const = 0;
  virtual Compression compression() const = 0;

  // Non-empty when the decompressor failed or the compressed stream was cut:
  // data ends early at data_bytes() and the reader reports it as damage.
  const std::string& stream_error() const { return stream_error_; }
  // True when the data was cut at a decompression bound (stream_error() says which).
  bool limit_reached() const { return limit_reached_; }

 protected:
  std::string stream_error_;
  bool limit_reached_ = false;
};

// Opens PATH read-only ("-" = stdin) and detects gzip/zstd by magic number.
// Compressed input stops at OPTIONS' decompression bounds (limit_reached()).
Result<std::unique_ptr<Source>> open_source(const std::string& path, const OpenOptions& options = {});

// A source over bytes already in memory (tests, fuzzers). Owns a copy.
std::unique_ptr<Source> memory_source(std::vector<std::uint8_t> bytes);

}  // namespace pcapscope::capture

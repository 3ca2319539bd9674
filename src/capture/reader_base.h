// Internals shared by the pcap and pcapng readers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "capture/source.h"
#include "pcapscope/capture.h"

namespace pcapscope::capture {

class ReaderBase : public CaptureReader {
 public:
  const FileSummary& summary() const override { return summary_; }

 protected:
  ReaderBase(std::unique_ptr<Source> source, const OpenOptions& options, std::string path)
      : source_(std::move(source)), options_(options) {
    summary_.path = std::move(path);
    summary_.compression = source_->compression();
    refresh_sizes();
  }

  void refresh_sizes() {
    summary_.file_bytes = source_->stored_bytes();
    summary_.data_bytes = source_->data_bytes();
  }

  // Records a skipped stretch; adjacent stretches with the same reason merge so a
  // long run of garbage reads as one region.
  void add_damage(std::uint64_t offset, std::uint64_t length, std::string_view reason) {
    if (length == 0) return;
    if (!summary_.damaged.empty()) {
      DamagedRegion& last = summary_.damaged.back();
      if (last.offset + last.length == offset && last.reason == reason) {
        last.length += length;
        return;
      }
    }
    summary_.damaged.push_back(DamagedRegion{offset, length, std::string(reason)});
  }

  // Called once next() has reached the end: a decompressor failure means the
  // data ended early, which the user must hear about.
  void finish() {
    if (finished_) return;
    finished_ = true;
    refresh_sizes();
    if (!source_->stream_error().empty()) {
      // The offset is where the decompressed data stopped; what followed in the
      // compressed input cannot be measured in decompressed bytes, hence length 0.
      bool cut = source_->stream_error().find("truncated") != std::string::npos;
      summary_.damaged.push_back(DamagedRegion{summary_.data_bytes, 0,
                                               source_->limit_reached() ? "decompression_limit"
                                               : cut                    ? "compressed_stream_truncated"
                                                                        : "compressed_stream_corrupt"});
    }
  }

  bool at_end(std::uint64_t at) { return source_->view(at, 1).empty(); }

  // Whether a record (pcap) or block (pcapng) plausibly starts at AT, confirmed
  // by the one after it. Format-specific; must cost bounded work per offset.
  virtual bool resync_at(std::uint64_t at) = 0;

  // Skips from pos_ to the next resynchronisation point (or the end of data)
  // and records what was skipped. Each offset is tested in bounded work, so
  // the scan is linear in the file however much of it is garbage.
  void recover(const char* reason, bool truncated_if_no_resync) {
    const std::uint64_t start = pos_;
    std::uint64_t at = pos_ + 1;
    while (!at_end(at)) {
      source_->release(at);
      if (resync_at(at)) {
        add_damage(start, at - start, reason);
        pos_ = at;
        return;
      }
      ++at;
    }
    add_damage(start, at - start, truncated_if_no_resync ? "truncated_record" : reason);
    pos_ = at;
  }

  void number(Packet& out) {
    out.frame = ++frame_;
    out.source = 0;
    if (out.record_flags != 0) ++summary_.record_anomalies;
  }

  std::unique_ptr<Source> source_;
  OpenOptions options_;
  FileSummary summary_;
  std::uint64_t pos_ = 0;
  std::uint64_t frame_ = 0;
  bool finished_ = false;
};

// Factories; both take a source positioned at offset 0 whose first bytes were
// recognised by the caller as their magic.
Result<std::unique_ptr<CaptureReader>> open_pcap(std::unique_ptr<Source> source, const OpenOptions& options,
                                                 const std::string& path);
Result<std::unique_ptr<CaptureReader>> open_pcapng(std::unique_ptr<Source> source, const OpenOptions& options,
                                                   const std::string& path);

// Picks the reader by magic number. Used by CaptureReader::open and by tests over memory.
Result<std::unique_ptr<CaptureReader>> open_reader(std::unique_ptr<Source> source, const OpenOptions& options,
                                                   const std::string& path);

}  // namespace pcapscope::capture

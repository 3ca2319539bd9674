// Classic pcap reader with damage recovery.
//
// libpcap, capinfos and tshark stop at the first record whose header is
// implausible; evidence after it is lost to them. Here a bad header starts a
// byte-by-byte scan for the next offset where two consecutive headers are
// plausible and close in time, and only the bytes in between are given up.
#include <algorithm>
#include <cstdlib>

#include "capture/reader_base.h"
#include "core/bytes.h"

namespace pcapscope::capture {
namespace {

constexpr std::uint32_t kMagicUsec = 0xa1b2c3d4;
constexpr std::uint32_t kMagicNsec = 0xa1b23c4d;
constexpr std::uint32_t kMagicKuznetzov = 0xa1b2cd34;  // patched libpcap: 8 more header bytes per record
constexpr std::size_t kFileHeaderLen = 24;
constexpr std::int64_t kResyncMaxGapSec = 24 * 3600;
constexpr std::uint32_t kResyncMaxOrigLen = 1u << 20;

struct RecordHeader {
  std::uint32_t sec = 0, frac = 0, caplen = 0, origlen = 0;
};

enum class Verdict { kOk, kTooLarge, kPastEof, kPartialHeader };

class PcapReader final : public ReaderBase {
 public:
  PcapReader(std::unique_ptr<Source> source, const OpenOptions& options, std::string path)
      : ReaderBase(std::move(source), options, std::move(path)) {}

  Result<bool> read_file_header() {
    Bytes v = source_->view(0, kFileHeaderLen);
    if (v.size() < kFileHeaderLen) return Error{"file ends inside the pcap file header"};
    std::uint32_t magic = load_le32(v.data());
    big_endian_ = false;
    if (magic != kMagicUsec && magic != kMagicNsec && magic != kMagicKuznetzov) {
      big_endian_ = true;
      magic = load_be32(v.data());
    }
    nsec_ = magic == kMagicNsec;
    rec_hdr_len_ = magic == kMagicKuznetzov ? 24 : 16;
    frac_limit_ = nsec_ ? 1000000000u : 1000000u;
    summary_.format = nsec_ ? CaptureFormat::kPcapNsec : CaptureFormat::kPcap;
    summary_.big_endian = big_endian_;
    summary_.version_major = load16(v.data() + 4, big_endian_);
    summary_.version_minor = load16(v.data() + 6, big_endian_);
    summary_.sections = 1;
    // libpcap: files before 2.3 wrote caplen and len swapped; 2.3 did so sometimes.
    if (summary_.version_major == 2 && summary_.version_minor < 3) swap_lengths_ = kSwapped;
    if (summary_.version_major == 2 && summary_.version_minor == 3) swap_lengths_ = kMaybeSwapped;
    Interface itf;
    itf.snaplen = load32(v.data() + 16, big_endian_);
    // The top bits carry FCS information (LT_FCS_LENGTH); the type is the rest (LT_LINKTYPE).
    itf.link_type = load32(v.data() + 20, big_endian_) & 0x03FFFFFF;
    itf.tsresol.raw = nsec_ ? 9 : 6;
    snaplen_ = itf.snaplen;
    link_type_ = itf.link_type;
    summary_.interfaces.push_back(itf);
    pos_ = kFileHeaderLen;
    return true;
  }

  bool next(Packet& out) override {
    while (true) {
      source_->release(pos_);
      Bytes v = source_->view(pos_, rec_hdr_len_);
      if (v.empty()) break;
      RecordHeader h;
      // The common case, a sound record already buffered whole, takes one
      // view(); everything else goes through the checks below.
      if (v.size() >= rec_hdr_len_) {
        parse_header(v, h);
        // (Nothing here may call view() again: that could move the buffer under V.)
        const bool plain = h.caplen <= options_.max_record_len && v.size() - rec_hdr_len_ >= h.caplen &&
                           !(snaplen_ > 0 && h.caplen > snaplen_) && h.origlen >= h.caplen &&
                           !(have_prev_ && far_apart(ts_ns(h), prev_ts_));
        if (plain) {
          emit(out, h, 0, v);
          return true;
        }
      }
      Verdict verdict = check(pos_, h);
      if (verdict == Verdict::kOk) {
        std::uint32_t flags = soft_flags(pos_, h);
        if (flags == 0 || confirmed(pos_ + rec_hdr_len_ + h.caplen)) {
          emit(out, h, flags, source_->view(pos_, rec_hdr_len_ + h.caplen));
          return true;
        }
        recover(soft_reason(flags), false);
        continue;
      }
      switch (verdict) {
        case Verdict::kTooLarge: recover("pcap_caplen_too_large", false); break;
        case Verdict::kPastEof: recover("pcap_record_past_eof", h.origlen >= h.caplen); break;
        default: recover("truncated_record", true); break;
      }
    }
    finish();
    return false;
  }

 private:
  enum SwapMode { kNotSwapped, kSwapped, kMaybeSwapped };

  bool read_header(std::uint64_t at, RecordHeader& h) {
    Bytes v = source_->view(at, rec_hdr_len_);
    if (v.size() < rec_hdr_len_) return false;
    parse_header(v, h);
    return true;
  }

  // V holds at least a record header.
  void parse_header(Bytes v, RecordHeader& h) const {
    h.sec = load32(v.data(), big_endian_);
    h.frac = load32(v.data() + 4, big_endian_);
    h.caplen = load32(v.data() + 8, big_endian_);
    h.origlen = load32(v.data() + 12, big_endian_);
    if (swap_lengths_ == kSwapped || (swap_lengths_ == kMaybeSwapped && h.caplen > h.origlen)) {
      std::swap(h.caplen, h.origlen);
    }
  }

  // Hard checks: a record that fails them cannot be read as it stands.
  Verdict check(std::uint64_t at, RecordHeader& h) {
    if (!read_header(at, h)) return Verdict::kPartialHeader;
    if (h.caplen > options_.max_record_len) return Verdict::kTooLarge;
    std::size_t need = rec_hdr_len_ + h.caplen;
    if (source_->view(at, need).size() < need) return Verdict::kPastEof;
    return Verdict::kOk;
  }

  // Called for every record, so not through the general ticks_to_ns: with
  // 32-bit seconds and fraction the sum cannot overflow (< 4.3e18 + 4.3e12).
  std::int64_t ts_ns(const RecordHeader& h) const {
    return static_cast<std::int64_t>(h.sec) * 1000000000 + static_cast<std::int64_t>(h.frac) * (nsec_ ? 1 : 1000);
  }

  bool far_apart(std::int64_t a, std::int64_t b) const {
    // Differences of saturated values cannot overflow a 128-bit intermediate.
    __extension__ __int128 d = static_cast<__int128>(a) - b;
    if (d < 0) d = -d;
    return d > options_.max_timestamp_jump_ns;
  }

  std::uint32_t soft_flags(std::uint64_t at, const RecordHeader& h) {
    std::uint32_t flags = 0;
    if (snaplen_ > 0 && h.caplen > snaplen_) flags |= record_flag::kCaplenOverSnaplen;
    if (h.origlen < h.caplen) flags |= record_flag::kOrigLenUnderCaplen;
    if (have_prev_ && far_apart(ts_ns(h), prev_ts_)) {
      // Far from the previous record; a real clock step is also close to the next one.
      RecordHeader n;
      std::uint64_t next_at = at + rec_hdr_len_ + h.caplen;
      if (!read_header(next_at, n) || far_apart(ts_ns(h), ts_ns(n))) flags |= record_flag::kTimestampJump;
    }
    return flags;
  }

  static const char* soft_reason(std::uint32_t flags) {
    if (flags & record_flag::kCaplenOverSnaplen) return "pcap_caplen_over_snaplen";
    if (flags & record_flag::kOrigLenUnderCaplen) return "pcap_origlen_under_caplen";
    return "pcap_timestamp_implausible";
  }

  // A suspicious record is trusted when the chain of headers after it holds:
  // the next record is complete and the one after it at least sane (or the
  // data ends exactly at a record boundary).
  bool confirmed(std::uint64_t next_at) {
    if (at_end(next_at)) return true;
    RecordHeader n;
    if (check(next_at, n) != Verdict::kOk) return false;
    std::uint64_t after = next_at + rec_hdr_len_ + n.caplen;
    if (at_end(after)) return true;
    RecordHeader a;
    if (!read_header(after, a)) return true;  // a cut last header: the file's end, not this record's fault
    return a.caplen <= options_.max_record_len;
  }

  // Resync candidate: stricter than the normal path, because here we choose
  // among arbitrary byte offsets. Sub-second fields must be in range and the
  // record must not be empty, which rules out runs of zeros.
  bool candidate_header(std::uint64_t at, RecordHeader& h) {
    if (!read_header(at, h)) return false;
    return h.caplen > 0 && h.caplen <= options_.max_record_len && h.origlen >= h.caplen &&
           h.origlen <= std::max(kResyncMaxOrigLen, options_.max_record_len) && h.frac < frac_limit_;
  }

  bool resync_at(std::uint64_t at) override {
    RecordHeader c;
    if (!candidate_header(at, c)) return false;
    std::size_t need = rec_hdr_len_ + c.caplen;
    if (source_->view(at, need).size() < need) return false;
    std::uint64_t next_at = at + need;
    if (at_end(next_at)) return true;
    RecordHeader n;
    if (!candidate_header(next_at, n)) return false;
    if (std::llabs(static_cast<long long>(n.sec) - static_cast<long long>(c.sec)) > kResyncMaxGapSec) return false;
    std::size_t next_need = rec_hdr_len_ + n.caplen;
    // The second record may be the cut end of the file; its header has already vouched.
    Bytes nv = source_->view(next_at, next_need);
    return nv.size() >= next_need || at_end(next_at + nv.size());
  }

  // V: the source's view at pos_, holding the whole record.
  void emit(Packet& out, const RecordHeader& h, std::uint32_t flags, Bytes v) {
    out.data = v.subspan(rec_hdr_len_, h.caplen);
    out.orig_len = h.origlen;
    out.ts_ticks = static_cast<std::uint64_t>(h.sec) * (nsec_ ? 1000000000u : 1000000u) + h.frac;
    out.ts_ns = ts_ns(h);
    out.link_type = link_type_;
    out.interface = 0;
    out.record_flags = flags;
    out.offset = pos_;
    number(out);
    prev_ts_ = out.ts_ns;
    have_prev_ = true;
    pos_ += rec_hdr_len_ + h.caplen;
    refresh_sizes();
  }

  bool big_endian_ = false;
  bool nsec_ = false;
  std::size_t rec_hdr_len_ = 16;
  std::uint32_t frac_limit_ = 1000000;
  std::uint32_t snaplen_ = 0;
  std::uint32_t link_type_ = 0;
  SwapMode swap_lengths_ = kNotSwapped;
  std::int64_t prev_ts_ = 0;
  bool have_prev_ = false;
};

}  // namespace

Result<std::unique_ptr<CaptureReader>> open_pcap(std::unique_ptr<Source> source, const OpenOptions& options,
                                                 const std::string& path) {
  auto reader = std::make_unique<PcapReader>(std::move(source), options, path);
  auto ok = reader->read_file_header();
  if (!ok) return ok.error();
  return std::unique_ptr<CaptureReader>(std::move(reader));
}

}  // namespace pcapscope::capture

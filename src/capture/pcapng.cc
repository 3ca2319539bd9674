// pcapng reader with damage recovery.
//
// Every block repeats its length at its end, so a block whose two lengths
// agree is framed soundly even when its contents are odd; such a block is
// read (flagging odd packet lengths) or skipped on its own. Only a block
// whose framing is broken starts the byte-by-byte resync scan.
#include <algorithm>

#include "capture/reader_base.h"
#include "core/bytes.h"

namespace pcapscope::capture {
namespace {

constexpr std::uint32_t kShb = 0x0A0D0D0A;
constexpr std::uint32_t kIdb = 1;
constexpr std::uint32_t kPb = 2;  // obsolete Packet Block
constexpr std::uint32_t kSpb = 3;
constexpr std::uint32_t kEpb = 6;
constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr std::uint32_t kMaxBlockLen = (16u << 20) + 64;
constexpr std::size_t kShbMinLen = 28;

enum class Framing { kOk, kBadLength, kBadSectionHeader, kPastEof, kPartial };

struct Block {
  std::uint32_t type = 0;
  std::uint32_t len = 0;
  bool big_endian = false;
};

bool known_block_type(std::uint32_t type) {
  // SHB, IDB, PB, SPB, NRB, ISB, EPB, IRIG, ARINC, systemd journal, DSB, custom.
  return type == kShb || (type >= 1 && type <= 0x0A) || type == 0xBAD || type == 0x40000BAD;
}

std::size_t pad4(std::size_t n) { return (n + 3) & ~std::size_t{3}; }

class PcapngReader final : public ReaderBase {
 public:
  PcapngReader(std::unique_ptr<Source> source, const OpenOptions& options, std::string path)
      : ReaderBase(std::move(source), options, std::move(path)) {
    summary_.format = CaptureFormat::kPcapng;
  }

  Result<bool> start() {
    Bytes v = source_->view(0, kShbMinLen);
    if (v.size() < kShbMinLen) return Error{"file ends inside the pcapng section header"};
    if (load_le32(v.data() + 8) == kByteOrderMagic) {
      big_endian_ = false;
    } else if (load_be32(v.data() + 8) == kByteOrderMagic) {
      big_endian_ = true;
    } else {
      return Error{"not a pcapng file (bad byte-order magic)"};
    }
    summary_.big_endian = big_endian_;
    summary_.version_major = load16(v.data() + 12, big_endian_);
    summary_.version_minor = load16(v.data() + 14, big_endian_);
    // Read the leading SHB and IDBs now so interfaces() is known before the first packet.
    while (step(nullptr) == Step::kContinue) {
    }
    return true;
  }

  bool next(Packet& out) override {
    for (;;) {
      switch (step(&out)) {
        case Step::kEmitted: return true;
        case Step::kContinue: break;
        case Step::kEnd:
        case Step::kPacketAhead:  // not reached with an output packet
          finish();
          return false;
      }
    }
  }

 private:
  enum class Step { kEmitted, kContinue, kEnd, kPacketAhead };

  Framing frame(std::uint64_t at, bool big_endian, Block& b) {
    Bytes v = source_->view(at, 12);
    if (v.size() < 8) return Framing::kPartial;
    b.type = load32(v.data(), big_endian);
    b.big_endian = big_endian;
    if (b.type == kShb) {
      // A section header sets its own byte order (the type reads the same either way).
      if (v.size() < 12) return Framing::kPartial;
      if (load_le32(v.data() + 8) == kByteOrderMagic) {
        b.big_endian = false;
      } else if (load_be32(v.data() + 8) == kByteOrderMagic) {
        b.big_endian = true;
      } else {
        return Framing::kBadSectionHeader;
      }
    }
    b.len = load32(v.data() + 4, b.big_endian);
    if (b.len < 12 || b.len % 4 != 0 || b.len > std::max(kMaxBlockLen, options_.max_record_len + 64)) {
      return Framing::kBadLength;
    }
    if (b.type == kShb && b.len < kShbMinLen) return Framing::kBadLength;
    Bytes w = source_->view(at, b.len);
    if (w.size() < b.len) return Framing::kPastEof;
    if (load32(w.data() + b.len - 4, b.big_endian) != b.len) return Framing::kBadLength;
    return Framing::kOk;
  }

  Step step(Packet* out) {
    source_->release(pos_);
    if (at_end(pos_)) return Step::kEnd;
    Block b;
    Framing f = frame(pos_, big_endian_, b);
    switch (f) {
      case Framing::kOk: break;
      case Framing::kBadLength: recover("pcapng_bad_block_length", false); return Step::kContinue;
      case Framing::kBadSectionHeader: recover("pcapng_bad_section_header", false); return Step::kContinue;
      case Framing::kPastEof: recover("pcapng_block_past_eof", true); return Step::kContinue;
      case Framing::kPartial: recover("truncated_record", true); return Step::kContinue;
    }
    switch (b.type) {
      case kShb: section(b); break;
      case kIdb: interface(b); break;
      case kEpb:
      case kPb:
      case kSpb:
        if (out == nullptr) return Step::kPacketAhead;
        if (packet(b, *out)) return Step::kEmitted;
        return Step::kContinue;  // packet() skipped the block as damaged
      default:
        // NRB, ISB, DSB, custom and unknown blocks carry nothing we read.
        ++summary_.skipped_blocks;
        break;
    }
    pos_ += b.len;
    return Step::kContinue;
  }

  void section(const Block& b) {
    Bytes v = source_->view(pos_, b.len);
    big_endian_ = b.big_endian;
    if (summary_.sections == 0) {
      summary_.big_endian = big_endian_;
      summary_.version_major = load16(v.data() + 12, big_endian_);
      summary_.version_minor = load16(v.data() + 14, big_endian_);
    }
    ++summary_.sections;
    // Interface ids restart in each section; our numbering runs across the file.
    section_first_iface_ = static_cast<std::uint32_t>(summary_.interfaces.size());
  }

  void interface(const Block& b) {
    if (b.len < 20) {
      add_damage(pos_, b.len, "pcapng_bad_block_length");
      return;
    }
    Bytes v = source_->view(pos_, b.len);
    Interface itf;
    itf.link_type = load16(v.data() + 8, big_endian_);
    itf.snaplen = load32(v.data() + 12, big_endian_);
    itf.section = summary_.sections > 0 ? summary_.sections - 1 : 0;
    std::size_t off = 16;
    std::size_t end = b.len - 4;
    while (off + 4 <= end) {
      std::uint16_t code = load16(v.data() + off, big_endian_);
      std::uint16_t olen = load16(v.data() + off + 2, big_endian_);
      if (code == 0 || off + 4 + olen > end) break;  // opt_endofopt, or an option overrunning the block
      const std::uint8_t* val = v.data() + off + 4;
      if (code == 2) itf.name.assign(reinterpret_cast<const char*>(val), olen);
      if (code == 9 && olen >= 1) itf.tsresol.raw = val[0];
      if (code == 14 && olen == 8) itf.tsoffset_sec = static_cast<std::int64_t>(load64(val, big_endian_));
      off += 4 + pad4(olen);
    }
    summary_.interfaces.push_back(std::move(itf));
  }

  // Fills OUT from an EPB, SPB or PB whose framing is sound; a block whose
  // contents are impossible is skipped as damaged (false).
  bool packet(const Block& b, Packet& out) {
    Bytes v = source_->view(pos_, b.len);
    std::uint32_t section_ifaces = static_cast<std::uint32_t>(summary_.interfaces.size()) - section_first_iface_;
    std::uint32_t local = 0;
    std::uint64_t ticks = 0;
    std::uint32_t caplen = 0, origlen = 0;
    std::size_t data_off = 0;
    if (b.type == kSpb) {
      if (b.len < 16) return skip_damaged(b, "pcapng_bad_block_length");
      if (section_ifaces == 0) return skip_damaged(b, "pcapng_unknown_interface");
      origlen = load32(v.data() + 8, big_endian_);
      std::uint32_t snaplen = summary_.interfaces[section_first_iface_].snaplen;
      caplen = std::min(origlen, b.len - 16);
      if (snaplen > 0) caplen = std::min(caplen, snaplen);
      data_off = 12;
    } else {
      if (b.len < 32) return skip_damaged(b, "pcapng_bad_block_length");
      local = b.type == kEpb ? load32(v.data() + 8, big_endian_) : load16(v.data() + 8, big_endian_);
      ticks = (static_cast<std::uint64_t>(load32(v.data() + 12, big_endian_)) << 32) | load32(v.data() + 16, big_endian_);
      caplen = load32(v.data() + 20, big_endian_);
      origlen = load32(v.data() + 24, big_endian_);
      data_off = 28;
      if (caplen > b.len - 32) return skip_damaged(b, "pcapng_caplen_exceeds_block");
      if (local >= section_ifaces) return skip_damaged(b, "pcapng_unknown_interface");
    }
    std::uint32_t global = section_first_iface_ + local;
    const Interface& itf = summary_.interfaces[global];
    std::uint32_t flags = 0;
    if (itf.snaplen > 0 && caplen > itf.snaplen) flags |= record_flag::kCaplenOverSnaplen;
    if (origlen < caplen) flags |= record_flag::kOrigLenUnderCaplen;
    out.data = v.subspan(data_off, caplen);
    out.orig_len = origlen;
    out.ts_ticks = ticks;
    // SPB has no timestamp: 0 in the interface's resolution, plus its offset.
    out.ts_ns = ticks_to_ns(ticks, itf.tsresol, itf.tsoffset_sec);
    out.link_type = itf.link_type;
    out.interface = global;
    out.record_flags = flags;
    out.offset = pos_;
    number(out);
    pos_ += b.len;
    refresh_sizes();
    return true;
  }

  bool skip_damaged(const Block& b, const char* reason) {
    add_damage(pos_, b.len, reason);
    pos_ += b.len;
    return false;
  }

  // A resync candidate: a known block type, sound framing (its two lengths
  // agree), and after it the end of the data or the start of another block of
  // a known type. The next block's own framing is not asked for: a good block
  // between two damaged ones (a zero-length block before it, a lying length
  // after it) would be lost with them, and its next block gets a scan of its
  // own anyway. Garbage passing this by chance needs two known 32-bit types
  // and a matching 32-bit trailer.
  bool resync_at(std::uint64_t at) override {
    Block c;
    Bytes v = source_->view(at, 8);
    if (v.size() < 8) return false;
    std::uint32_t type = load32(v.data(), big_endian_);
    if (!known_block_type(type)) return false;
    if (frame(at, big_endian_, c) != Framing::kOk) return false;
    std::uint64_t next_at = at + c.len;
    if (at_end(next_at)) return true;
    Bytes nv = source_->view(next_at, 8);
    if (nv.size() < 8) return true;  // the data ends inside the next header
    // After a candidate SHB the next block is read in the SHB's byte order.
    return known_block_type(load32(nv.data(), c.big_endian));
  }

  bool big_endian_ = false;
  std::uint32_t section_first_iface_ = 0;
};

}  // namespace

Result<std::unique_ptr<CaptureReader>> open_pcapng(std::unique_ptr<Source> source, const OpenOptions& options,
                                                   const std::string& path) {
  auto reader = std::make_unique<PcapngReader>(std::move(source), options, path);
  auto ok = reader->start();
  if (!ok) return ok.error();
  return std::unique_ptr<CaptureReader>(std::move(reader));
}

}  // namespace pcapscope::capture

// Capture stage: reading evidence files (pcap, pcapng, gzip/zstd compressed,
// stdin) into a stream of packets that are views into the reader's buffer.
//
// Lifetime rule (as libpcap's): Packet::data points into the reader's block buffer
// and stays valid until the next call to next() on the same reader (or on the
// Timeline that owns it). Copy the bytes if you need them longer.
//
// Damage rule: a reader never gives up on a file because one record is bad.
// A record whose header is implausible is skipped by scanning forward to the
// next plausible record (confirmed by the one after it); the skipped bytes are
// reported as a DamagedRegion with their file offset and length.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pcapscope/result.h"

namespace pcapscope {

using Bytes = std::span<const std::uint8_t>;

// Link-layer header types, numbered as in https://www.tcpdump.org/linktypes.html
namespace linktype {
inline constexpr std::uint32_t kNull = 0;          // BSD loopback, host byte order AF_
inline constexpr std::uint32_t kEthernet = 1;
inline constexpr std::uint32_t kRaw = 101;         // raw IPv4 or IPv6 (version nibble)
inline constexpr std::uint32_t kLoop = 108;        // OpenBSD loopback, network byte order AF_
inline constexpr std::uint32_t kLinuxSll = 113;
inline constexpr std::uint32_t kIpv4 = 228;
inline constexpr std::uint32_t kIpv6 = 229;
inline constexpr std::uint32_t kLinuxSll2 = 276;
// DLT_RAW as some BSDs number it in savefiles (12 on most, 14 on OpenBSD).
inline constexpr std::uint32_t kRawBsd12 = 12;
inline constexpr std::uint32_t kRawBsd14 = 14;
}  // namespace linktype

// Name of a link type as tshark/capinfos print it ("Ethernet", "Linux cooked-mode capture v1" ...)
// and a short name ("ether", "linux-sll", "null", "rawip" ...). Unknown types: "linktype-N".
std::string_view link_type_name(std::uint32_t link_type);
std::string_view link_type_short_name(std::uint32_t link_type);

enum class CaptureFormat : std::uint8_t { kPcap, kPcapNsec, kPcapng };
enum class Compression : std::uint8_t { kNone, kGzip, kZstd };
std::string_view format_name(CaptureFormat f);       // "pcap", "pcap-nsec", "pcapng"
std::string_view compression_name(Compression c);    // "none", "gzip", "zstd"

// Timestamp resolution as pcapng's if_tsresol byte encodes it: the low 7 bits
// are an exponent; MSB clear = 10^-n seconds, MSB set = 2^-n seconds.
// Classic pcap is 6 (microseconds) or 9 (nanoseconds).
struct TsResolution {
  std::uint8_t raw = 6;
  bool is_binary() const { return (raw & 0x80) != 0; }
  unsigned exponent() const { return raw & 0x7f; }
};

// One capture interface (classic pcap has exactly one per file; pcapng one per IDB,
// numbered across all sections of the file).
struct Interface {
  std::uint32_t link_type = 0;
  std::uint32_t snaplen = 0;         // 0 = unlimited/unknown
  TsResolution tsresol;
  std::int64_t tsoffset_sec = 0;     // pcapng if_tsoffset, added to every timestamp
  std::uint32_t section = 0;         // pcapng section index this interface belongs to
  std::string name;                  // if_name when given
};

// Record-level anomalies attached to a packet that was nonetheless accepted
// (bit flags in Packet::record_flags).
namespace record_flag {
inline constexpr std::uint32_t kCaplenOverSnaplen = 1u << 0;   // caplen > interface snaplen
inline constexpr std::uint32_t kOrigLenUnderCaplen = 1u << 1;  // origlen < caplen
inline constexpr std::uint32_t kTimestampJump = 1u << 2;       // far from previous record's time
inline constexpr std::uint32_t kBadInterface = 1u << 3;        // pcapng EPB names unknown interface
}  // namespace record_flag

struct Packet {
  Bytes data;                    // captured bytes (caplen = data.size()); see lifetime rule
  std::uint32_t orig_len = 0;    // length on the wire
  std::int64_t ts_ns = 0;        // nanoseconds since the Unix epoch (UTC), tsoffset applied
  std::uint64_t ts_ticks = 0;    // raw timestamp in the interface's resolution (for writing back)
  std::uint32_t link_type = 0;
  std::uint32_t interface = 0;   // index into the reader's interfaces()
  std::uint32_t source = 0;      // index of the input file (Timeline), 0 for a single reader
  std::uint32_t record_flags = 0;
  std::uint64_t offset = 0;      // byte offset of the record header in the (decompressed) file
  std::uint64_t frame = 0;       // 1-based frame number in the reader's / timeline's order
};

// A stretch of a file that held no readable record and was skipped.
struct DamagedRegion {
  std::uint64_t offset = 0;      // byte offset in the (decompressed) file
  std::uint64_t length = 0;      // bytes skipped
  std::string reason;            // named reason: "pcap_caplen_too_large", "pcapng_bad_block_length",
                                 // "truncated_record", "pcap_timestamp_implausible" ...
};

struct FileSummary {
  std::string path;              // as given ("-" for stdin)
  CaptureFormat format = CaptureFormat::kPcap;
  Compression compression = Compression::kNone;
  bool big_endian = false;       // byte order of the (first) section
  std::uint16_t version_major = 0, version_minor = 0;
  std::uint32_t sections = 0;    // pcapng sections seen (1 for pcap)
  std::vector<Interface> interfaces;
  std::vector<DamagedRegion> damaged;   // in file order; a truncated last record is one too
  std::uint64_t file_bytes = 0;          // bytes of the file as stored (compressed size if compressed)
  std::uint64_t data_bytes = 0;          // bytes after decompression
  std::uint64_t skipped_blocks = 0;      // pcapng NRB/ISB/DSB/custom/unknown blocks
  std::uint64_t record_anomalies = 0;    // packets accepted with non-zero record_flags
};

struct OpenOptions {
  // Records whose timestamp is further than this from both neighbours are
  // treated as damaged (a smashed header whose lengths happen to look sane).
  std::int64_t max_timestamp_jump_ns = 366LL * 24 * 3600 * 1000000000LL;
  // Records longer than this are implausible whatever the snaplen says.
  std::uint32_t max_record_len = 256 * 1024;
  // Decompression bombs (gzip, zstd input only): reading a file stops, as
  // damage "decompression_limit" at the offset where it stopped, once its
  // decompressed data passes max_decompressed_bytes, or once past 64 MiB it
  // is more than max_compression_ratio times the compressed bytes read so
  // far (0: no ratio check). gzip cannot pass ~1,032:1, so for gzip only the
  // size bound bites; zstd and its RLE blocks can reach 30,000:1 and more.
  // Real captures stay far below the ratio: the most compressible of the
  // shared corpus (a DHCP flood) is 159:1 under zstd -19 --long.
  std::uint64_t max_decompressed_bytes = std::uint64_t{1} << 40;
  std::uint64_t max_compression_ratio = 10000;
  // Capture filter in tcpdump's language, compiled by libpcap ("" = none).
  // Applied by Timeline only (CaptureReader ignores it): packets the program
  // rejects are read, numbered and skipped, so frame numbers stay the
  // evidence's own. Timeline::open fails on a syntax error, or when the
  // expression cannot be compiled for the link type of a file's first
  // interface; interfaces met later whose link type it cannot be compiled
  // for have their packets rejected and counted (bpf_skipped_link_types()).
  std::string bpf;
};

// A link type the capture filter could not be compiled for, met after open:
// its packets were rejected.
struct BpfSkippedLinkType {
  std::uint32_t link_type = 0;
  std::string message;           // libpcap's reason
  std::uint64_t packets = 0;     // packets of that link type rejected for it
};

class BpfFilter;

// Reads one capture file. Not thread-safe; one reader per thread.
class CaptureReader {
 public:
  virtual ~CaptureReader() = default;

  // Opens PATH read-only ("-" = stdin). Detects gzip/zstd and pcap/pcapng by
  // magic number. Errors: cannot open, empty, not a capture file.
  static Result<std::unique_ptr<CaptureReader>> open(const std::string& path,
                                                     const OpenOptions& options = {});

  // Fills OUT with the next packet; false at end of file. Never throws on bad data.
  virtual bool next(Packet& out) = 0;

  // Interfaces known so far (pcapng may add some as it reads) and damage found so far;
  // complete once next() has returned false.
  virtual const FileSummary& summary() const = 0;
};

// Several files read as one timeline, merged by timestamp (ties keep file order).
// Frame numbers run across the whole timeline; Packet::interface indexes interfaces().
class Timeline {
 public:
  static Result<Timeline> open(const std::vector<std::string>& paths, const OpenOptions& options = {});

  bool next(Packet& out);

  std::size_t file_count() const { return readers_.size(); }
  const FileSummary& summary(std::size_t file) const { return readers_[file]->summary(); }
  // Interfaces of all files, numbered across the timeline.
  const std::vector<Interface>& interfaces() const { return interfaces_; }

  // Packets read so far, whether or not the capture filter passed them (the
  // last frame number handed out or skipped).
  std::uint64_t packets_read() const { return frame_; }
  // Timestamp of frame 1 (0 before it is read), filtered out or not: times
  // relative to the start of the evidence do not depend on the filter.
  std::int64_t first_ts_ns() const { return first_ts_ns_; }
  // The capture filter (OpenOptions::bpf): whether there is one, packets it
  // rejected so far, and link types met mid-file it could not be compiled for.
  bool has_bpf() const { return bpf_ != nullptr; }
  std::uint64_t bpf_rejected() const { return bpf_rejected_; }
  std::vector<BpfSkippedLinkType> bpf_skipped_link_types() const;

  Timeline(Timeline&&) noexcept;
  Timeline& operator=(Timeline&&) noexcept;
  ~Timeline();

 private:
  Timeline() = default;
  struct Head {
    Packet packet;
    bool valid = false;
  };
  void advance(std::size_t file);
  std::uint32_t global_interface(std::size_t file, std::uint32_t local);
  bool next_unfiltered(Packet& out);

  std::vector<std::unique_ptr<CaptureReader>> readers_;
  std::vector<Head> heads_;
  std::vector<Interface> interfaces_;
  // Per file: local interface index -> global index. pcapng files may add
  // interfaces mid-file, so a file's interfaces need not be contiguous.
  std::vector<std::vector<std::uint32_t>> interface_map_;
  std::vector<std::uint32_t> heap_;  // files with a valid head, min-heap on (timestamp, file index)
  // The file whose head was handed out last; it is advanced on the next call,
  // not before, so the packet handed out stays valid until then.
  std::size_t pending_ = static_cast<std::size_t>(-1);
  std::uint64_t frame_ = 0;
  std::int64_t first_ts_ns_ = 0;
  bool started_ = false;
  std::unique_ptr<BpfFilter> bpf_;  // null without a capture filter
  std::uint64_t bpf_rejected_ = 0;
};

// Converts a raw timestamp in resolution R (plus tsoffset) to nanoseconds since the epoch.
std::int64_t ticks_to_ns(std::uint64_t ticks, TsResolution r, std::int64_t tsoffset_sec);

}  // namespace pcapscope

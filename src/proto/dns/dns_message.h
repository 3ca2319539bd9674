// DNS message parser (RFC 1035, 3596, 2782, 6891) and a TCP message framer.
//
// parse_message() reads one DNS message (a UDP payload, or one TCP message
// without its 2-byte length prefix) into a caller-owned DnsMessage. Hostile
// input is the normal case: counts are never trusted (at most kMaxRecordsPerSection
// per section), compression pointers must point strictly backwards (at most
// kMaxPointerJumps), names stay <= 255 wire bytes and labels <= 63, nothing is
// read outside the span, nothing throws. What is wrong is named in
// DnsMessage::problems ("dns_name_loop", "dns_truncated" ...), as Zeek names weirds.
//
// Allocation: DnsMessage keeps its record/question slots and their strings
// between calls; a caller that reuses one DnsMessage stops allocating once the
// slots have grown to the largest message seen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/stream_cursor.h"

namespace pcapscope::proto::dns {

inline constexpr std::size_t kMaxRecordsPerSection = 1024;
inline constexpr unsigned kMaxPointerJumps = 128;
inline constexpr std::size_t kMaxNameWireLength = 255;
inline constexpr std::size_t kMaxLabelLength = 63;

struct DnsFlags {
  bool qr = false;  // response
  std::uint8_t opcode = 0;
  bool aa = false, tc = false, rd = false, ra = false;
  bool z = false, ad = false, cd = false;
  std::uint16_t rcode = 0;  // 4-bit header rcode, widened to 12 bits by an EDNS0 OPT record
};

struct DnsQuestion {
  std::string name;  // dotted, case preserved, escaped (see escape rules in dns_message.cc)
  std::uint16_t qtype = 0;
  std::uint16_t qclass = 0;
};

struct DnsRecord {
  std::string name;
  std::uint16_t type = 0;
  std::uint16_t rclass = 0;  // for OPT: the requestor's UDP payload size
  std::uint32_t ttl = 0;     // for OPT: extended rcode, version, flags
  std::uint16_t rdlength = 0;
  std::uint32_t rdata_offset = 0;  // offset of the rdata within the message
  // rdata as text for A, AAAA, CNAME, NS, PTR, MX ("10 mx.example.com"),
  // TXT (Zeek's "TXT 5 hello TXT 3 abc"), SRV ("prio weight port target"),
  // SOA ("mname rname serial refresh retry expire minimum"); empty otherwise,
  // and empty when the rdata did not fit its rdlength (rendered = false).
  std::string rdata;
  bool rendered = false;
};

struct DnsEdns {
  bool present = false;
  std::uint16_t udp_payload_size = 0;
  std::uint8_t version = 0;
  bool do_bit = false;
  std::uint8_t extended_rcode = 0;  // upper 8 bits of the 12-bit rcode
};

// One parsed message. The spans returned by the accessors stay valid until the
// next parse_message() or clear() on the same object.
class DnsMessage {
 public:
  std::uint16_t id = 0;
  DnsFlags flags;
  // Counts as the header claims them (may be far more than what was parsed).
  std::uint16_t qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  DnsEdns edns;
  // Named problems, each at most once, in the order found (static storage).
  std::vector<std::string_view> problems;

  std::span<const DnsQuestion> questions() const { return {questions_.data(), question_count_}; }
  std::span<const DnsRecord> answers() const { return {records_.data(), section_end_[0]}; }
  std::span<const DnsRecord> authority() const {
    return {records_.data() + section_end_[0], section_end_[1] - section_end_[0]};
  }
  std::span<const DnsRecord> additional() const {
    return {records_.data() + section_end_[1], section_end_[2] - section_end_[1]};
  }
  bool has_problem(std::string_view name) const;

  // Resets to an empty message, keeping slot capacity.
  void clear();

 private:
  friend class MessageParser;
  DnsQuestion& next_question();
  DnsRecord& next_record();
  void add_problem(std::string_view name);

  std::vector<DnsQuestion> questions_;  // slots; only the first question_count_ are live
  std::size_t question_count_ = 0;
  std::vector<DnsRecord> records_;  // answer, authority, additional, back to back
  std::size_t record_count_ = 0;
  std::size_t section_end_[3] = {0, 0, 0};
};

struct [[nodiscard]] ParseStatus {
  // Static one-line reason when the message could not be parsed to its end,
  // e.g. "dns_truncated"; empty when ok. What was parsed before stays in the message.
  std::string_view error;
  bool ok() const { return error.empty(); }
  explicit operator bool() const { return ok(); }
};

// Parses MSG into OUT (cleared first). Never throws, never reads outside MSG.
ParseStatus parse_message(std::span<const std::uint8_t> msg, DnsMessage& out);

// Zeek's names (DNS::query_types): "A", "NS", "AAAA", "HTTPS", "*" (ANY, as
// Zeek spells it) ...; empty for unknown (Zeek then logs "query-<n>").
std::string_view qtype_name(std::uint16_t qtype);
// Zeek's DNS::base_errors: "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
// "REFUSED" ... "BADCOOKIE"; empty otherwise (Zeek: "rcode-<n>").
std::string_view rcode_name(std::uint16_t rcode);
// Zeek's DNS::classes: "C_INTERNET", "C_CSNET", "C_CHAOS", "C_HESIOD", "C_NONE",
// "C_ANY"; empty otherwise.
std::string_view qclass_name(std::uint16_t qclass);

// Splits a DNS-over-TCP byte stream (RFC 1035 4.2.2: 2-byte length, message)
// into messages across segment boundaries. Memory is bounded by one frame.
// After a gap the partial message is dropped and the framer scans for a
// plausible length + header to resynchronise.
class TcpDnsFramer {
 public:
  static constexpr std::size_t kMaxFrame = 65535 + 2;

  // Feeds bytes at stream OFFSET. Bytes already seen are skipped; a jump
  // forward counts as a gap. ON_MESSAGE(std::span<const std::uint8_t>) is called
  // per complete message (without the prefix); the span lives for the call only.
  template <typename F>
  void on_data(std::uint64_t offset, std::span<const std::uint8_t> bytes, F&& on_message) {
    bytes = align(offset, bytes);
    while (!bytes.empty()) {
      bytes = bytes.subspan(consume(bytes));
      if (complete_) {
        on_message(std::span<const std::uint8_t>(buf_.data() + 2, buf_.size() - 2));
        ++messages_;
        reset_frame();
      }
    }
  }
  // LENGTH bytes at OFFSET are missing: drop the partial message, resync.
  void on_gap(std::uint64_t offset, std::uint64_t length);

  std::uint64_t messages() const { return messages_; }
  std::uint64_t partial_dropped() const { return partial_dropped_; }
  bool resyncing() const { return resyncing_; }

 private:
  std::span<const std::uint8_t> align(std::uint64_t offset, std::span<const std::uint8_t> bytes);
  std::size_t consume(std::span<const std::uint8_t> bytes);
  bool try_resync();
  void reset_frame();

  std::vector<std::uint8_t> buf_;  // current frame, prefix included (<= kMaxFrame)
  StreamCursor cursor_;
  bool complete_ = false;
  bool resyncing_ = false;
  std::uint64_t messages_ = 0;
  std::uint64_t partial_dropped_ = 0;
};

}  // namespace pcapscope::proto::dns

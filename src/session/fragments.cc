// IPv4/IPv6 fragment reassembly: finding the fragmented layer in a decode,
// holding payload pieces (first-received bytes win), the limits, and building
// the synthetic packet. See fragments.h for the contract.
#include "session/fragments.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "core/bytes.h"
#include "session/flow_key.h"

namespace pcapscope::session {

namespace {

constexpr std::uint32_t kIpv4MinHeader = 20;
constexpr std::uint32_t kIpv6Header = 40;
constexpr std::uint32_t kFragmentHeader = 8;
constexpr std::uint8_t kIpv6Fragment = 44;
constexpr std::uint32_t kMaxIpLength = 0xffff;  // IPv4 total length / IPv6 payload length

void store_be16(std::uint8_t* p, std::uint32_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

std::uint16_t header_checksum(const std::uint8_t* h, std::uint32_t len) {
  std::uint32_t sum = 0;
  for (std::uint32_t i = 0; i + 1 < len; i += 2) sum += load_be16(h + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

// Start times before this are older than TIMEOUT at NOW. Saturates instead of
// overflowing: timestamps come from the capture and may be absurd.
std::int64_t cutoff(std::int64_t now, std::int64_t timeout) {
  constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
  return now < kMin + timeout ? kMin : now - timeout;
}

// The completing packet's headers before the reassembled IP layer were sized
// for the fragment; their length fields must now reach NEW_END (the end of the
// synthetic packet) or the next decode() would clip the datagram back to the
// fragment's size. Only fields that decode() clips by are fixed.
void fix_enclosing(const DecodedPacket& d, std::size_t ip_index, std::uint8_t* buf, std::uint32_t new_end) {
  for (std::size_t j = 1; j < ip_index; ++j) {
    const Layer& l = d.layers[j];
    std::uint8_t* h = buf + l.offset;
    auto length_from = [&](std::uint32_t base) { return base <= new_end ? new_end - base : 0u; };
    switch (l.proto) {
      case Proto::kIpv4:
        // 0 (segmentation offload) already means "to the end of the capture";
        // a datagram that no longer fits the field gets that meaning too.
        if (l.header_len >= kIpv4MinHeader && load_be16(h + 2) != 0) {
          const std::uint32_t len = length_from(l.offset);
          store_be16(h + 2, len > kMaxIpLength ? 0 : len);
          store_be16(h + 10, 0);
          store_be16(h + 10, header_checksum(h, l.header_len));
        }
        break;
      case Proto::kIpv6:  // 0 = jumbogram: to the end of the capture
        if (l.header_len >= kIpv6Header && load_be16(h + 4) != 0) {
          const std::uint32_t len = length_from(l.offset + kIpv6Header);
          store_be16(h + 4, len > kMaxIpLength ? 0 : len);
        }
        break;
      case Proto::kUdp:
        if (l.header_len >= 8 && load_be16(h + 4) != 0) {
          const std::uint32_t len = length_from(l.offset);
          store_be16(h + 4, len > kMaxIpLength ? 0 : len);
          // The checksum covered the fragment; zero says "not computed", which
          // is honest, where a recomputed one would vouch for bytes no one sent.
          store_be16(h + 6, 0);
        }
        break;
      case Proto::kPppoe:
        if (l.header_len >= 6 && length_from(l.offset + 6) <= kMaxIpLength) store_be16(h + 4, length_from(l.offset + 6));
        break;
      case Proto::kGtpU:
        if (l.header_len >= 8 && length_from(l.offset + 8) <= kMaxIpLength) store_be16(h + 2, length_from(l.offset + 8));
        break;
      case Proto::kEthernet:  // an 802.3 length (IP over LLC/SNAP); one past 1500 cannot be written
        if (l.header_len >= 14 && load_be16(h + 12) <= 1500 && length_from(l.offset + 14) <= 1500) {
          store_be16(h + 12, length_from(l.offset + 14));
        }
        break;
      default: break;
    }
  }
}

}  // namespace

// One fragment as found in a decode: positions are offsets in the packet.
struct FragmentReassembler::Fragment {
  Key key;
  std::size_t ip_index = 0;         // the fragmented IP layer in DecodedPacket::layers
  std::uint32_t header_off = 0;     // what the offset-0 fragment contributes to the synthetic
  std::uint32_t header_len = 0;     // packet: the IPv4 header / the IPv6 header + unfragmentable part
  std::uint32_t next_header_pos = 0;  // IPv6: byte naming the Fragment header, from header_off
  std::uint8_t next_header = 0;       // IPv6: the Fragment header's next header
  std::uint32_t payload_off = 0, payload_len = 0;
  std::uint32_t start = 0;          // payload offset within the datagram
  bool more = false;
  bool truncated = false;           // captured shorter than its IP length: payload_len is 0
  bool atomic = false;              // IPv6 Fragment header with offset 0 and M clear
};

std::size_t FragmentReassembler::KeyHash::operator()(const Key& k) const {
  std::uint64_t h = mix64(seed ^ ((std::uint64_t{k.id} << 16) | (std::uint64_t{k.version} << 8) | k.protocol));
  for (const auto* a : {&k.src, &k.dst}) {
    h = mix64(h ^ load_be64(a->data()));
    h = mix64(h ^ load_be64(a->data() + 8));
  }
  return static_cast<std::size_t>(h);
}

FragmentReassembler::FragmentReassembler(FragmentLimits limits)
    : limits_(limits), index_(0, KeyHash{hash_seed()}) {
  limits_.timeout_ns = std::max<std::int64_t>(limits_.timeout_ns, 0);
}

// ---- finding the fragment ---------------------------------------------------

auto FragmentReassembler::find_fragment(const DecodedPacket& dpkt, Fragment& f) -> Found {
  // The outermost fragmented IP layer: an outer one that is whole may carry a
  // fragmented inner one (a tunnel, or a packet reassembled a round before).
  for (std::size_t i = 1; i < dpkt.layer_count; ++i) {
    const Layer& l = dpkt.layers[i];
    // A datagram quoted in an ICMP error is evidence about another packet,
    // not a piece of this one.
    if (l.flags & layer_flag::kInIcmpError) break;
    Found r = Found::kNone;
    if (l.proto == Proto::kIpv4) {
      r = parse_ipv4(dpkt, i, f);
    } else if (l.proto == Proto::kIpv6) {
      r = parse_ipv6(dpkt, i, f);
    }
    if (r != Found::kNone) {
      f.ip_index = i;
      return r;
    }
  }
  return Found::kNone;
}

auto FragmentReassembler::parse_ipv4(const DecodedPacket& dpkt, std::size_t i, Fragment& f) -> Found {
  const Layer& l = dpkt.layers[i];
  const Bytes data = dpkt.data();
  // Fewer than 20 bytes: not even the addresses to key it by (decode() flagged it).
  if (l.header_len < kIpv4MinHeader || data.size() < l.offset + std::size_t{kIpv4MinHeader}) return Found::kNone;
  const std::uint8_t* h = data.data() + l.offset;
  const std::uint16_t frag = load_be16(h + 6);
  if ((frag & 0x3fff) == 0) return Found::kNone;  // the common case: one cheap test

  std::copy_n(h + 12, 4, f.key.src.begin());
  std::copy_n(h + 16, 4, f.key.dst.begin());
  f.key.id = load_be16(h + 4);
  f.key.version = 4;
  f.key.protocol = h[9];
  f.start = (frag & 0x1fffu) * 8;
  f.more = (frag & 0x2000) != 0;
  const std::uint32_t ihl = (h[0] & 0x0fu) * 4, total = load_be16(h + 2);
  // Total 0 (offload) never comes fragmented; below the header it means nothing.
  if (ihl < kIpv4MinHeader || total < ihl) return Found::kUnusable;
  f.header_off = l.offset;
  f.header_len = ihl;
  f.payload_off = l.offset + ihl;
  const std::uint64_t ip_end = std::uint64_t{l.offset} + total;
  f.truncated = l.header_len < ihl || ip_end > std::min<std::size_t>(l.end, data.size());
  f.payload_len = f.truncated ? 0 : total - ihl;
  return Found::kFragment;
}

auto FragmentReassembler::parse_ipv6(const DecodedPacket& dpkt, std::size_t i, Fragment& f) -> Found {
  const Layer& ip = dpkt.layers[i];
  const Bytes data = dpkt.data();
  if (ip.header_len < kIpv6Header || data.size() < ip.offset + std::size_t{kIpv6Header}) return Found::kNone;
  const std::uint8_t* h = data.data() + ip.offset;
  // Walk this header's extension layers, tracking which byte names the next one.
  std::uint8_t nh = h[6];
  std::uint32_t nh_pos = 6;
  const Layer* frag = nullptr;
  for (std::size_t j = i + 1; j < dpkt.layer_count && dpkt.layers[j].proto == Proto::kIpv6Ext; ++j) {
    const Layer& e = dpkt.layers[j];
    if (nh == kIpv6Fragment) {
      frag = &e;
      break;
    }
    if (e.header_len < 1 || e.offset >= data.size()) return Found::kNone;
    nh_pos = e.offset - ip.offset;
    nh = data[e.offset];
  }
  if (frag == nullptr || frag->header_len < kFragmentHeader ||
      data.size() < frag->offset + std::size_t{kFragmentHeader}) {
    return Found::kNone;
  }
  const std::uint8_t* fh = data.data() + frag->offset;
  const std::uint16_t off_flags = load_be16(fh + 2);
  std::copy_n(h + 8, 16, f.key.src.begin());
  std::copy_n(h + 24, 16, f.key.dst.begin());
  f.key.id = load_be32(fh + 4);
  f.key.version = 6;
  f.start = off_flags & 0xfff8u;
  f.more = (off_flags & 1) != 0;
  f.atomic = f.start == 0 && !f.more;
  const std::uint32_t plen = load_be16(h + 4);
  const std::uint64_t ip_end = std::uint64_t{ip.offset} + kIpv6Header + plen;
  f.payload_off = frag->offset + kFragmentHeader;
  // A jumbogram cannot be fragmented (RFC 2675); a payload length that ends
  // inside the headers leaves nothing to reassemble.
  if (plen == 0 || ip_end < f.payload_off) return Found::kUnusable;
  f.header_off = ip.offset;
  f.header_len = frag->offset - ip.offset;
  f.next_header_pos = nh_pos;
  f.next_header = fh[0];
  f.truncated = ip_end > std::min<std::size_t>(ip.end, data.size());
  f.payload_len = f.truncated ? 0 : static_cast<std::uint32_t>(ip_end) - f.payload_off;
  return Found::kFragment;
}

// ---- adding -----------------------------------------------------------------

auto FragmentReassembler::add(const DecodedPacket& dpkt, Packet& out) -> Outcome {
  if (dpkt.packet == nullptr) return Outcome::kNotFragment;
  Fragment f;
  const Found found = find_fragment(dpkt, f);
  if (found == Found::kNone) return Outcome::kNotFragment;
  ++stats_.fragments;
  if (found == Found::kUnusable) {
    ++stats_.inconsistent;
    report(*dpkt.packet, fragment_anomaly::kInconsistent);
    return Outcome::kDropped;
  }
  return add_fragment(dpkt, f, out);
}

auto FragmentReassembler::add_fragment(const DecodedPacket& dpkt, const Fragment& f, Packet& out) -> Outcome {
  const Packet& pkt = *dpkt.packet;
  const Bytes data = dpkt.data();  // kept: OUT may be *dpkt.packet and change under us

  if (f.atomic) {
    // A whole datagram on its own, never merged with fragments sharing its id (RFC 6946).
    if (f.truncated) {
      ++stats_.dropped_truncated;
      report(pkt, fragment_anomaly::kTruncated);
      return Outcome::kDropped;
    }
    ++stats_.atomic;
    std::uint8_t* payload = emit(dpkt, f, data.subspan(f.header_off, f.header_len), f.next_header_pos,
                                 f.next_header, f.payload_len, out);
    std::memcpy(payload, data.data() + f.payload_off, f.payload_len);
    return Outcome::kComplete;
  }

  AgeList::iterator it;
  if (auto found = index_.find(f.key); found != index_.end()) {
    it = found->second;
    // The caller may never call expire(): a datagram this old is not what this fragment belongs to.
    if (it->first.ts_ns < cutoff(pkt.ts_ns, limits_.timeout_ns)) {
      drop_aged(it, fragment_anomaly::kTimeout);
      it = age_.end();
    }
  } else {
    it = age_.end();
  }
  if (it == age_.end()) {
    it = age_.emplace(age_.end());
    it->key = f.key;
    it->first = pkt;
    it->first.data = {};
    // Its leading bytes (link layer to fragment payload) let a timeout or
    // eviction report name the datagram's addresses.
    it->head_len = static_cast<std::uint32_t>(std::min<std::size_t>(f.payload_off, data.size()));
    it->bytes.assign(data.begin(), data.begin() + it->head_len);
    bytes_ += it->head_len;
    index_.emplace(f.key, it);
  }
  Datagram& dg = *it;
  if (dg.dead) return Outcome::kDropped;  // its datagram was dropped and reported already

  // Checked with this fragment's own header length; the offset-0 one is checked on completion.
  const std::uint32_t overhead = f.key.version == 4 ? f.header_len : f.header_len - kIpv6Header;
  const bool too_large = std::uint64_t{overhead} + f.start + f.payload_len > kMaxIpLength;
  std::string_view drop;
  if (++dg.fragments > limits_.max_fragments) {
    ++stats_.dropped_too_many;
    drop = fragment_anomaly::kTooMany;
  } else if (f.truncated) {  // a hole no later fragment can fill
    ++stats_.dropped_truncated;
    drop = fragment_anomaly::kTruncated;
  } else if (too_large) {
    ++stats_.dropped_too_large;
    drop = fragment_anomaly::kTooLarge;
  }
  if (!drop.empty()) {
    report(pkt, drop);
    kill(it);
    enforce_limits(it);  // the tombstone may be new and count one datagram too many
    return Outcome::kDropped;
  }

  bool inconsistent = false;
  std::uint32_t len = f.payload_len;
  const std::uint32_t frag_end = f.start + len;  // <= 65535: too_large was checked
  if (f.more && (len == 0 || len % 8 != 0)) inconsistent = true;  // a middle fragment carries 8-byte units
  if (!f.more) {
    // The end is claimed once: a different second claim, or one short of bytes
    // already held, contradicts what came first and is ignored.
    if (dg.has_end ? dg.end != frag_end : dg.max_end > frag_end) {
      inconsistent = true;
    } else {
      dg.has_end = true;
      dg.end = frag_end;
    }
  }
  if (dg.has_end && frag_end > dg.end) {  // data past the end: kept out
    inconsistent = true;
    len = dg.end > f.start ? dg.end - f.start : 0;
  }
  if (f.start == 0 && !dg.has_header) {
    dg.has_header = true;
    dg.header_at = static_cast<std::uint32_t>(dg.bytes.size());
    dg.header_len = f.header_len;
    dg.next_header_pos = f.next_header_pos;
    dg.next_header = f.next_header;
    const auto hdr = data.subspan(f.header_off, f.header_len);
    dg.bytes.insert(dg.bytes.end(), hdr.begin(), hdr.end());
    bytes_ += f.header_len;
  }
  const Overlap overlap = len ? merge(dg, f.start, data.data() + f.payload_off, len) : Overlap::kNone;
  if (overlap == Overlap::kSame) {
    ++stats_.overlaps_same;
    report(pkt, fragment_anomaly::kOverlap);
  } else if (overlap == Overlap::kDiffers) {
    ++stats_.overlaps_differ;
    report(pkt, fragment_anomaly::kOverlapDiffers);
  }
  if (inconsistent) {
    ++stats_.inconsistent;
    report(pkt, fragment_anomaly::kInconsistent);
  }

  if (!(dg.has_end && dg.has_header && dg.covered == dg.end)) {
    if (enforce_limits(it)) return Outcome::kDropped;
    ++stats_.held;
    return Outcome::kHeld;
  }
  // Pieces never pass a known end, so covering `end` bytes means covering all of them.
  const std::uint32_t final_overhead = f.key.version == 4 ? dg.header_len : dg.header_len - kIpv6Header;
  if (std::uint64_t{final_overhead} + dg.end > kMaxIpLength) {
    ++stats_.dropped_too_large;
    report(pkt, fragment_anomaly::kTooLarge);
    kill(it);
    enforce_limits(it);
    return Outcome::kDropped;
  }
  std::uint8_t* payload = emit(dpkt, f, Bytes(dg.bytes.data() + dg.header_at, dg.header_len), dg.next_header_pos,
                               dg.next_header, dg.end, out);
  for (const Piece& p : dg.pieces) std::memcpy(payload + p.start, dg.bytes.data() + p.at, p.end - p.start);
  ++stats_.completed;
  remove(it);
  return Outcome::kComplete;
}

auto FragmentReassembler::merge(Datagram& dg, std::uint32_t start, const std::uint8_t* src, std::uint32_t len)
    -> Overlap {
  const std::uint32_t end = start + len;
  Overlap overlap = Overlap::kNone;
  // Held pieces are disjoint and sorted, so their ends are sorted too.
  auto it = std::partition_point(dg.pieces.begin(), dg.pieces.end(), [start](const Piece& p) { return p.end <= start; });
  gaps_.clear();
  std::uint32_t pos = start;
  for (; it != dg.pieces.end() && it->start < end; ++it) {
    if (it->start > pos) gaps_.push_back({pos, it->start, 0});
    const std::uint32_t from = std::max(pos, it->start), to = std::min(end, it->end);
    if (std::memcmp(dg.bytes.data() + it->at + (from - it->start), src + (from - start), to - from) != 0) {
      overlap = Overlap::kDiffers;  // the held bytes stay
    } else if (overlap == Overlap::kNone) {
      overlap = Overlap::kSame;
    }
    pos = to;
  }
  if (pos < end) gaps_.push_back({pos, end, 0});

  for (Piece g : gaps_) {
    g.at = static_cast<std::uint32_t>(dg.bytes.size());
    dg.bytes.insert(dg.bytes.end(), src + (g.start - start), src + (g.end - start));
    auto where = std::upper_bound(dg.pieces.begin(), dg.pieces.end(), g.start,
                                  [](std::uint32_t s, const Piece& p) { return s < p.start; });
    // In-order arrival continues the previous piece in both the payload and
    // `bytes`: one piece then, so the list stays short.
    if (where != dg.pieces.begin()) {
      Piece& prev = *(where - 1);
      if (prev.end == g.start && prev.at + (prev.end - prev.start) == g.at) {
        prev.end = g.end;
        g.start = g.end;  // merged
      }
    }
    if (g.start != g.end) dg.pieces.insert(where, g);
  }
  for (const Piece& g : gaps_) {
    dg.covered += g.end - g.start;
    bytes_ += g.end - g.start;
  }
  dg.max_end = std::max(dg.max_end, end);
  return overlap;
}

std::uint8_t* FragmentReassembler::emit(const DecodedPacket& dpkt, const Fragment& f, Bytes header,
                                        std::uint32_t next_header_pos, std::uint8_t next_header,
                                        std::uint32_t payload_len, Packet& out) {
  const Bytes data = dpkt.data();
  Packet meta = *dpkt.packet;
  const std::uint32_t prefix = dpkt.layers[f.ip_index].offset;
  const auto ip_len = static_cast<std::uint32_t>(header.size()) + payload_len;
  // The other buffer: DPKT may be the synthetic packet from the last call.
  out_cur_ ^= 1;
  std::vector<std::uint8_t>& buf = out_buf_[out_cur_];
  buf.resize(std::size_t{prefix} + ip_len);
  std::memcpy(buf.data(), data.data(), prefix);
  std::memcpy(buf.data() + prefix, header.data(), header.size());
  std::uint8_t* h = buf.data() + prefix;
  if (f.key.version == 4) {
    store_be16(h + 2, ip_len);
    h[6] &= 0xc0;  // reserved and DF stay as the sender set them; MF and offset go
    h[7] = 0;
    store_be16(h + 10, 0);
    store_be16(h + 10, header_checksum(h, static_cast<std::uint32_t>(header.size())));
  } else {
    store_be16(h + 4, ip_len - kIpv6Header);
    h[next_header_pos] = next_header;
  }
  fix_enclosing(dpkt, f.ip_index, buf.data(), prefix + ip_len);
  meta.data = Bytes(buf.data(), buf.size());
  meta.orig_len = static_cast<std::uint32_t>(buf.size());
  out = meta;
  return h + header.size();
}

// ---- dropping -----------------------------------------------------------------

void FragmentReassembler::kill(AgeList::iterator it) {
  bytes_ -= it->bytes.size();
  std::vector<std::uint8_t>().swap(it->bytes);
  std::vector<Piece>().swap(it->pieces);
  it->head_len = 0;
  it->dead = true;
}

void FragmentReassembler::remove(AgeList::iterator it) {
  bytes_ -= it->bytes.size();
  index_.erase(it->key);
  age_.erase(it);
}

void FragmentReassembler::drop_aged(AgeList::iterator it, std::string_view why) {
  if (!it->dead) {  // a tombstone was reported when it died
    ++(why == fragment_anomaly::kTimeout      ? stats_.timed_out
       : why == fragment_anomaly::kIncomplete ? stats_.incomplete
                                              : stats_.evicted);
    report(first_packet(*it), why);
  }
  remove(it);
}

bool FragmentReassembler::enforce_limits(AgeList::iterator current) {
  bool current_gone = false;
  while (!age_.empty() && (age_.size() > limits_.max_datagrams || bytes_ > limits_.max_bytes)) {
    if (age_.begin() == current) current_gone = true;
    drop_aged(age_.begin(), fragment_anomaly::kEvicted);
  }
  return current_gone;
}

void FragmentReassembler::expire(std::int64_t now_ns) {
  const std::int64_t limit = cutoff(now_ns, limits_.timeout_ns);
  while (!age_.empty() && age_.front().first.ts_ns < limit) drop_aged(age_.begin(), fragment_anomaly::kTimeout);
}

void FragmentReassembler::finish() {
  while (!age_.empty()) drop_aged(age_.begin(), fragment_anomaly::kIncomplete);
}

void FragmentReassembler::report(const Packet& pkt, std::string_view name) const {
  if (on_anomaly_) on_anomaly_(pkt, name);
}

Packet FragmentReassembler::first_packet(const Datagram& dg) const {
  Packet p = dg.first;
  p.data = Bytes(dg.bytes.data(), dg.head_len);
  return p;
}

}  // namespace pcapscope::session

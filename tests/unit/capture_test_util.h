// Builders for hand-made capture files used by the capture_*.cc tests.
#pragma once

#include <zlib.h>
#include <zstd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "pcapscope/capture.h"

namespace pcapscope::test {

using ByteVec = std::vector<std::uint8_t>;

inline void put16(ByteVec& b, std::uint16_t v, bool be) {
  if (be) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
  } else {
    b.push_back(static_cast<std::uint8_t>(v));
    b.push_back(static_cast<std::uint8_t>(v >> 8));
  }
}
inline void put32(ByteVec& b, std::uint32_t v, bool be) {
  if (be) {
    put16(b, static_cast<std::uint16_t>(v >> 16), true);
    put16(b, static_cast<std::uint16_t>(v), true);
  } else {
    put16(b, static_cast<std::uint16_t>(v), false);
    put16(b, static_cast<std::uint16_t>(v >> 16), false);
  }
}
inline void put64(ByteVec& b, std::uint64_t v, bool be) {
  if (be) {
    put32(b, static_cast<std::uint32_t>(v >> 32), true);
    put32(b, static_cast<std::uint32_t>(v), true);
  } else {
    put32(b, static_cast<std::uint32_t>(v), false);
    put32(b, static_cast<std::uint32_t>(v >> 32), false);
  }
}

// Payload bytes that never look like a plausible record header (0xA5 runs
// read as huge lengths), with the first bytes telling packets apart.
inline ByteVec payload(std::size_t n, std::uint8_t tag) {
  ByteVec p(n, 0xA5);
  if (n > 0) p[0] = tag;
  return p;
}

struct PcapFile {
  ByteVec bytes;
  bool be = false;
  std::vector<std::size_t> offsets;  // record offsets

  PcapFile(bool big_endian, bool nsec, std::uint32_t snaplen = 65535, std::uint32_t link_type = 1) : be(big_endian) {
    put32(bytes, nsec ? 0xa1b23c4d : 0xa1b2c3d4, be);
    put16(bytes, 2, be);
    put16(bytes, 4, be);
    put32(bytes, 0, be);
    put32(bytes, 0, be);
    put32(bytes, snaplen, be);
    put32(bytes, link_type, be);
  }
  PcapFile& record(std::uint32_t sec, std::uint32_t frac, const ByteVec& data, std::uint32_t origlen = 0,
                   std::uint32_t caplen_override = 0) {
    offsets.push_back(bytes.size());
    put32(bytes, sec, be);
    put32(bytes, frac, be);
    put32(bytes, caplen_override ? caplen_override : static_cast<std::uint32_t>(data.size()), be);
    put32(bytes, origlen ? origlen : static_cast<std::uint32_t>(data.size()), be);
    bytes.insert(bytes.end(), data.begin(), data.end());
    return *this;
  }
  // Overwrites a 32-bit header field of record I (0 sec, 1 frac, 2 caplen, 3 origlen).
  void smash(std::size_t i, int field, std::uint32_t v) {
    ByteVec tmp;
    put32(tmp, v, be);
    std::copy(tmp.begin(), tmp.end(), bytes.begin() + static_cast<std::ptrdiff_t>(offsets[i] + 4 * field));
  }
};

struct PcapngFile {
  ByteVec bytes;
  bool be = false;
  std::vector<std::size_t> offsets;  // block offsets

  static void pad(ByteVec& b) {
    while (b.size() % 4) b.push_back(0);
  }
  PcapngFile& block(std::uint32_t type, const ByteVec& body) {
    offsets.push_back(bytes.size());
    auto len = static_cast<std::uint32_t>(12 + ((body.size() + 3) & ~std::size_t{3}));
    put32(bytes, type, be);
    put32(bytes, len, be);
    bytes.insert(bytes.end(), body.begin(), body.end());
    pad(bytes);
    put32(bytes, len, be);
    return *this;
  }
  PcapngFile& shb(bool big_endian) {
    be = big_endian;
    ByteVec body;
    put32(body, 0x1A2B3C4D, be);
    put16(body, 1, be);
    put16(body, 0, be);
    put64(body, ~std::uint64_t{0}, be);
    return block(0x0A0D0D0A, body);
  }
  PcapngFile& idb(std::uint16_t link_type, std::uint32_t snaplen, int tsresol = -1, std::int64_t tsoffset = 0,
                  const std::string& name = "") {
    ByteVec body;
    put16(body, link_type, be);
    put16(body, 0, be);
    put32(body, snaplen, be);
    if (!name.empty()) {
      put16(body, 2, be);
      put16(body, static_cast<std::uint16_t>(name.size()), be);
      body.insert(body.end(), name.begin(), name.end());
      pad(body);
    }
    if (tsresol >= 0) {
      put16(body, 9, be);
      put16(body, 1, be);
      body.push_back(static_cast<std::uint8_t>(tsresol));
      pad(body);
    }
    if (tsoffset != 0) {
      put16(body, 14, be);
      put16(body, 8, be);
      put64(body, static_cast<std::uint64_t>(tsoffset), be);
    }
    put32(body, 0, be);  // opt_endofopt
    return block(1, body);
  }
  PcapngFile& epb(std::uint32_t iface, std::uint64_t ticks, const ByteVec& data, std::uint32_t origlen = 0) {
    ByteVec body;
    put32(body, iface, be);
    put32(body, static_cast<std::uint32_t>(ticks >> 32), be);
    put32(body, static_cast<std::uint32_t>(ticks), be);
    put32(body, static_cast<std::uint32_t>(data.size()), be);
    put32(body, origlen ? origlen : static_cast<std::uint32_t>(data.size()), be);
    body.insert(body.end(), data.begin(), data.end());
    return block(6, body);
  }
  PcapngFile& pb(std::uint16_t iface, std::uint64_t ticks, const ByteVec& data) {
    ByteVec body;
    put16(body, iface, be);
    put16(body, 0, be);
    put32(body, static_cast<std::uint32_t>(ticks >> 32), be);
    put32(body, static_cast<std::uint32_t>(ticks), be);
    put32(body, static_cast<std::uint32_t>(data.size()), be);
    put32(body, static_cast<std::uint32_t>(data.size()), be);
    body.insert(body.end(), data.begin(), data.end());
    return block(2, body);
  }
  PcapngFile& spb(std::uint32_t origlen, const ByteVec& data) {
    ByteVec body;
    put32(body, origlen, be);
    body.insert(body.end(), data.begin(), data.end());
    return block(3, body);
  }
};

inline std::filesystem::path tmp_dir() {
  std::filesystem::path dir = std::filesystem::path(PCAPSCOPE_TEST_TMPDIR) / "capture";
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string write_tmp(const std::string& name, const ByteVec& bytes) {
  std::filesystem::path p = tmp_dir() / name;
  std::filesystem::remove(p);
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return p.string();
}

inline ByteVec gzip(const ByteVec& in) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  ByteVec out(deflateBound(&zs, static_cast<uLong>(in.size())) + 64);
  zs.next_in = const_cast<std::uint8_t*>(in.data());
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

inline ByteVec zstd(const ByteVec& in) {
  ByteVec out(ZSTD_compressBound(in.size()));
  out.resize(ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3));
  return out;
}

// A packet copied out of the reader (Packet::data dies at the next next()).
struct Copied {
  Packet p;
  ByteVec data;
};

template <typename Reader>
std::vector<Copied> read_all(Reader& r) {
  std::vector<Copied> v;
  Packet p;
  while (r.next(p)) {
    Copied c{p, ByteVec(p.data.begin(), p.data.end())};
    c.p.data = {};
    v.push_back(std::move(c));
  }
  return v;
}

}  // namespace pcapscope::test

// Seeds for the protocol fuzzers, cut from real captures.
//
//   pcapscope-make-seeds [--max N] OUTDIR CAPTURE_OR_DIR...
//
// Reads each capture through the library (Timeline, decode, SessionTable),
// keeps up to 64 KiB of each TCP direction, and writes seed files in the
// harness input layout (tests/fuzz/harness.h) to OUTDIR/{dns,http,tls,ssh}/:
//   dns   UDP payloads on ports 53/5353/5355, and each direction of TCP/53
//   http  conversations on ports 80/8080/8000, or whose bytes start like HTTP/1.x
//   tls   conversations whose bytes start with a handshake record (0x16 0x03)
//   ssh   conversations whose bytes start with "SSH-"
// and, for the pipeline targets (tests/fuzz/pipeline_harness.h), to
// OUTDIR/{capture,decode,sessions}/: small capture files whole (some
// zstd-compressed), single frames, and each file's first packets as a sequence.
// At most N seeds per target (default 300), deduplicated by content hash,
// each direction cut to a size the fuzzers' -max_len keeps. Seeds are
// derived from the corpus and are written at fuzz time under the build
// directory only; they never belong in the repository.
#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <zstd.h>

#include "pcapscope/pcapscope.h"

namespace {

namespace fs = std::filesystem;
using pcapscope::Bytes;

constexpr std::size_t kCollect = 64 * 1024;  // per direction, as the brief of the session stage
constexpr std::size_t kDnsMax = 8 * 1024;    // per seed (the fuzzers' -max_len follows these)
constexpr std::size_t kDirMax = 8 * 1024;    // per direction in HTTP/TLS/SSH seeds

enum Target { kDns, kHttp, kTls, kSsh, kCapture, kDecode, kSessions, kTargets };
constexpr std::array<const char*, kTargets> kNames = {"dns", "http", "tls", "ssh", "capture", "decode", "sessions"};
constexpr std::size_t kCaptureMax = 64 * 1024;  // a whole small capture file
constexpr std::size_t kFrameMax = 1500;         // per frame in decode and sessions seeds
constexpr std::size_t kSessionPackets = 48;     // packets per sessions seed

std::uint64_t fnv(std::string_view s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

class SeedWriter {
 public:
  SeedWriter(fs::path out, std::size_t max) : out_(std::move(out)), max_(max) {
    for (const char* n : kNames) fs::create_directories(out_ / n);
  }
  bool full(Target t) const { return count_[t] >= max_; }
  bool all_full() const {
    return std::all_of(count_.begin(), count_.end(), [this](std::size_t c) { return c >= max_; });
  }
  std::size_t count(Target t) const { return count_[t]; }

  // BODY is the harness payload: after the two control bytes for the
  // protocol targets, the whole input for the others (pipeline_harness.h).
  void write(Target t, const std::string& body) {
    if (full(t) || body.empty()) return;
    const std::uint64_t h = fnv(body);
    if (!seen_[t].insert(h).second) return;
    // Control bytes from the hash: varied chunking across seeds, never a gap
    // (bit 0 of byte 1), so seeds start from clean streams.
    std::string seed;
    if (t < kCapture) {
      seed += static_cast<char>(h & 0xff);
      seed += static_cast<char>((h >> 8) & 0xfe);
    }
    seed += body;
    char name[32];
    std::snprintf(name, sizeof name, "%016llx", static_cast<unsigned long long>(h));
    std::ofstream f(out_ / kNames[t] / name, std::ios::binary);
    f.write(seed.data(), static_cast<std::streamsize>(seed.size()));
    ++count_[t];
  }

 private:
  fs::path out_;
  std::size_t max_;
  std::array<std::size_t, kTargets> count_{};
  std::array<std::unordered_set<std::uint64_t>, kTargets> seen_;
};

class Collector final : public pcapscope::session::StreamReceiver {
 public:
  void on_data(std::uint64_t, Bytes data, std::uint64_t) override {
    if (gap_) return;  // keep clean prefixes only
    const std::size_t n = std::min(data.size(), kCollect - std::min(kCollect, bytes.size()));
    bytes.append(reinterpret_cast<const char*>(data.data()), n);
  }
  void on_gap(std::uint64_t, std::uint64_t) override { gap_ = true; }
  std::string bytes;

 private:
  bool gap_ = false;
};

bool is_dns_port(std::uint16_t p) { return p == 53 || p == 5353 || p == 5355; }
bool is_http_port(std::uint16_t p) { return p == 80 || p == 8080 || p == 8000; }

bool starts_with_method(std::string_view s) {
  for (std::string_view m : {"GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "TRACE ", "PATCH "})
    if (s.substr(0, m.size()) == m) return true;
  return false;
}
bool is_http_response(std::string_view s) { return s.substr(0, 7) == "HTTP/1."; }
bool is_tls(std::string_view s) { return s.size() >= 2 && s[0] == 0x16 && s[1] == 0x03; }
bool is_ssh(std::string_view s) { return s.substr(0, 4) == "SSH-"; }

// be16 client length, client, server: the two-direction harness layout.
std::string two_directions(std::string_view client, std::string_view server) {
  client = client.substr(0, kDirMax);
  server = server.substr(0, kDirMax);
  std::string s;
  s += static_cast<char>(client.size() >> 8);
  s += static_cast<char>(client.size() & 0xff);
  s += client;
  s += server;
  return s;
}

class SeedObserver final : public pcapscope::SessionObserver {
 public:
  explicit SeedObserver(SeedWriter& w) : w_(w) {}

  pcapscope::session::StreamReceiver* stream_receiver(const pcapscope::SessionRecord& r, bool orig) override {
    return &streams_[r.index][orig ? 0 : 1];
  }
  void on_datagram(const pcapscope::SessionRecord& r, bool, Bytes payload, const pcapscope::Packet&) override {
    if (r.proto != pcapscope::Transport::kUdp || !(is_dns_port(r.orig_p) || is_dns_port(r.resp_p))) return;
    if (payload.empty() || payload.size() > kDnsMax) return;
    w_.write(kDns, std::string(reinterpret_cast<const char*>(payload.data()), payload.size()));
  }
  void on_session_end(const pcapscope::SessionRecord& r) override {
    auto it = streams_.find(r.index);
    if (it == streams_.end()) return;
    std::string_view orig = it->second[0].bytes, resp = it->second[1].bytes;
    classify(r, orig, resp);
    streams_.erase(it);
  }

 private:
  void classify(const pcapscope::SessionRecord& r, std::string_view orig, std::string_view resp) {
    if (is_dns_port(r.orig_p) || is_dns_port(r.resp_p)) {
      for (std::string_view s : {orig, resp})
        if (!s.empty()) w_.write(kDns, std::string(s.substr(0, kDnsMax)));
      return;
    }
    if (is_ssh(orig) || is_ssh(resp)) {
      w_.write(kSsh, two_directions(orig, resp));
      return;
    }
    if (is_tls(orig) || is_tls(resp)) {
      // The ClientHello side first (the originator may have been guessed wrong).
      const bool swap = resp.size() > 5 && resp[5] == 0x01 && !(orig.size() > 5 && orig[5] == 0x01);
      w_.write(kTls, swap ? two_directions(resp, orig) : two_directions(orig, resp));
      return;
    }
    if (is_http_port(r.orig_p) || is_http_port(r.resp_p) || starts_with_method(orig) || starts_with_method(resp) ||
        is_http_response(orig) || is_http_response(resp)) {
      const bool swap = is_http_response(orig) || (starts_with_method(resp) && !starts_with_method(orig));
      w_.write(kHttp, swap ? two_directions(resp, orig) : two_directions(orig, resp));
    }
  }

  SeedWriter& w_;
  std::map<std::uint64_t, std::array<Collector, 2>> streams_;
};

void put16(std::string& s, std::size_t v) {
  s += static_cast<char>((v >> 8) & 0xff);
  s += static_cast<char>(v & 0xff);
}

// Small captures whole (and every fourth one zstd-compressed, which the
// corpus lacks; it has gzip files of its own).
void capture_seed(const std::string& path, SeedWriter& w) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec || size == 0 || size > kCaptureMax || w.full(kCapture)) return;
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  w.write(kCapture, bytes);
  const bool compressed = bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f;
  if (compressed || fnv(bytes) % 4 != 0) return;
  std::string z(ZSTD_compressBound(bytes.size()), '\0');
  const std::size_t n = ZSTD_compress(z.data(), z.size(), bytes.data(), bytes.size(), 3);
  if (ZSTD_isError(n) || n > kCaptureMax) return;
  z.resize(n);
  w.write(kCapture, z);
}

void process_file(const std::string& path, SeedWriter& w) {
  auto timeline = pcapscope::Timeline::open({path});
  if (!timeline) return;  // not a capture (MANIFEST.tsv ...): skipped
  capture_seed(path, w);
  SeedObserver observer(w);
  pcapscope::SessionTable sessions(pcapscope::SessionOptions{}, &observer);
  pcapscope::Packet packet;
  pcapscope::DecodedPacket decoded;
  std::string sequence;  // the sessions seed: the file's first packets
  std::int64_t last_ns = 0;
  std::size_t n = 0;
  while (timeline->next(packet)) {
    const auto frame = std::string(reinterpret_cast<const char*>(packet.data.data()),
                                   std::min(packet.data.size(), kFrameMax));
    if (n < 2 || n % 97 == 0) {
      std::string d;
      put16(d, packet.link_type);
      w.write(kDecode, d + frame);
    }
    if (n < kSessionPackets) {
      if (n == 0) {
        put16(sequence, packet.link_type);
        sequence += '\0';  // no small caps
      }
      const std::int64_t ms = n == 0 ? 0 : (packet.ts_ns - last_ns) / 1'000'000;
      put16(sequence, frame.size());
      sequence += static_cast<char>(std::clamp<std::int64_t>(ms, 0, 249));
      sequence += frame;
      last_ns = packet.ts_ns;
    }
    ++n;
    pcapscope::decode(packet, decoded);
    sessions.process(decoded);
  }
  sessions.finish();
  if (n > 1) w.write(kSessions, sequence);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t max = 300;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() >= 2 && args[0] == "--max") {
    max = std::strtoul(args[1].c_str(), nullptr, 10);
    args.erase(args.begin(), args.begin() + 2);
  }
  if (args.size() < 2) {
    std::fprintf(stderr, "usage: pcapscope-make-seeds [--max N] OUTDIR CAPTURE_OR_DIR...\n");
    return 2;
  }
  std::vector<std::string> files;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::error_code ec;
    if (fs::is_directory(args[i], ec)) {
      for (const auto& e : fs::recursive_directory_iterator(args[i], ec))
        if (e.is_regular_file()) files.push_back(e.path().string());
    } else {
      files.push_back(args[i]);
    }
  }
  std::sort(files.begin(), files.end());  // same seeds on every run
  SeedWriter writer(args[0], max);
  for (const auto& f : files) {
    if (writer.all_full()) break;
    process_file(f, writer);
  }
  std::printf("seeds from %zu files:", files.size());
  for (int t = 0; t < kTargets; ++t) std::printf(" %s %zu", kNames[t], writer.count(static_cast<Target>(t)));
  std::printf("\n");
  return 0;
}

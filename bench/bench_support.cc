#include "bench_support.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string_view>
#include <unordered_map>

#include "pcapscope/session.h"
#include "pcapscope/writer.h"
#include "proto/quic/quic_initial.h"
#include "proto/service.h"

#ifndef PCAPSCOPE_SHARED_DIR
#define PCAPSCOPE_SHARED_DIR "../shared"
#endif

namespace pcapscope::bench {

namespace fs = std::filesystem;

void set_rates(benchmark::State& state, std::uint64_t items_per_iteration, std::uint64_t bytes_per_iteration) {
  const auto n = static_cast<std::uint64_t>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(n * items_per_iteration));
  state.SetBytesProcessed(static_cast<std::int64_t>(n * bytes_per_iteration));
}

std::string capture_path() {
  const char* p = std::getenv("PCAPSCOPE_BENCH_PCAP");
  return p ? p : "";
}

std::size_t capture_packet_limit() {
  const char* p = std::getenv("PCAPSCOPE_BENCH_PACKETS");
  const unsigned long long n = p ? std::strtoull(p, nullptr, 10) : 0;
  return n > 0 ? static_cast<std::size_t>(n) : 200'000;
}

namespace {

// Points each packet at its bytes once STORAGE has stopped growing.
void bind_packets(PacketSet& set, const std::vector<std::size_t>& offsets) {
  for (std::size_t i = 0; i < set.packets.size(); ++i) {
    const std::size_t end = i + 1 < offsets.size() ? offsets[i + 1] : set.storage.size();
    set.packets[i].data = Bytes(set.storage.data() + offsets[i], end - offsets[i]);
  }
}

template <typename T>
struct Loaded {
  std::unique_ptr<T> value;
  std::string error;  // why value is null (kept alive: SkipWithError takes a C string)
};

template <typename T>
const T* get_or_skip(benchmark::State& state, const Loaded<T>& loaded) {
  if (!loaded.value) state.SkipWithError(loaded.error.c_str());
  return loaded.value.get();
}

Loaded<PacketSet> load_capture() {
  Loaded<PacketSet> out;
  const std::string path = capture_path();
  if (path.empty()) {
    out.error = kNoCapture;
    return out;
  }
  auto reader = CaptureReader::open(path);
  if (!reader) {
    out.error = fmt::format("PCAPSCOPE_BENCH_PCAP={}: {}", path, reader.error().message);
    return out;
  }
  auto set = std::make_unique<PacketSet>();
  std::vector<std::size_t> offsets;
  const std::size_t limit = capture_packet_limit();
  Packet p;
  while (set->packets.size() < limit && (*reader)->next(p)) {
    offsets.push_back(set->storage.size());
    set->storage.insert(set->storage.end(), p.data.begin(), p.data.end());
    set->packets.push_back(p);
    set->bytes += p.data.size();
  }
  set->interfaces = (*reader)->summary().interfaces;
  bind_packets(*set, offsets);
  if (set->packets.empty()) {
    out.error = fmt::format("PCAPSCOPE_BENCH_PCAP={}: no packets", path);
    return out;
  }
  out.value = std::move(set);
  return out;
}

}  // namespace

PacketSet make_packet_set(const std::vector<std::vector<std::uint8_t>>& frames) {
  PacketSet set;
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < frames.size(); ++i) {
    offsets.push_back(set.storage.size());
    set.storage.insert(set.storage.end(), frames[i].begin(), frames[i].end());
    Packet p;
    const std::uint64_t ts_us = 1'700'000'000'000'000ULL + i;
    p.ts_ticks = ts_us;
    p.ts_ns = static_cast<std::int64_t>(ts_us) * 1000;
    p.orig_len = static_cast<std::uint32_t>(frames[i].size());
    p.link_type = linktype::kEthernet;
    p.frame = i + 1;
    set.packets.push_back(p);
    set.bytes += frames[i].size();
  }
  Interface eth;
  eth.link_type = linktype::kEthernet;
  eth.snaplen = 262144;
  set.interfaces.push_back(eth);
  bind_packets(set, offsets);
  return set;
}

const PacketSet* capture_packets(benchmark::State& state) {
  static const Loaded<PacketSet> loaded = load_capture();
  return get_or_skip(state, loaded);
}

const std::vector<DecodedPacket>* capture_decoded(benchmark::State& state) {
  const PacketSet* set = capture_packets(state);
  if (!set) return nullptr;
  static const std::vector<DecodedPacket> decoded = [set] {
    std::vector<DecodedPacket> d(set->packets.size());
    for (std::size_t i = 0; i < d.size(); ++i) decode(set->packets[i], d[i]);
    return d;
  }();
  return &decoded;
}

// ------------------------------------------------------------------ slice files

namespace {

std::string write_packets(const std::string& path, WriteFormat format, const PacketSet& set, int parity) {
  auto w = CaptureWriter::create(path, format, set.interfaces, true);
  if (!w) return w.error().message;
  for (std::size_t i = 0; i < set.packets.size(); ++i) {
    if (parity >= 0 && static_cast<int>(i % 2) != parity) continue;
    auto r = (*w)->write(set.packets[i]);
    if (!r) return r.error().message;
  }
  auto r = (*w)->close();
  return r ? "" : r.error().message;
}

Loaded<SliceFiles> make_slice_files(const PacketSet& set) {
  Loaded<SliceFiles> out;
  const std::string src = capture_path();
  std::error_code ec;
  const auto size = fs::file_size(src, ec);
  const auto mtime = fs::last_write_time(src, ec).time_since_epoch().count();
  // Named after the capture (path, size, time) and the packet count, so a changed capture gets new copies.
  const std::string identity = fmt::format("{}|{}|{}", src, size, static_cast<long long>(mtime));
  const fs::path dir = fs::temp_directory_path() / fmt::format("pcapscope-bench-{:016x}-{}",
                                                               std::hash<std::string>{}(identity), set.packets.size());
  auto files = std::make_unique<SliceFiles>();
  files->pcap = (dir / "slice.pcap").string();
  files->pcapng = (dir / "slice.pcapng").string();
  files->gzip = files->pcap + ".gz";
  files->zstd = files->pcap + ".zst";
  files->even = (dir / "even.pcap").string();
  files->odd = (dir / "odd.pcap").string();
  files->packets = set.packets.size();
  files->bytes = set.bytes;
  const fs::path done = dir / "complete";
  if (!fs::exists(done)) {
    fs::create_directories(dir, ec);
    std::string err = write_packets(files->pcap, WriteFormat::kPcap, set, -1);
    if (err.empty()) err = write_packets(files->pcapng, WriteFormat::kPcapng, set, -1);
    if (err.empty()) err = write_packets(files->even, WriteFormat::kPcap, set, 0);
    if (err.empty()) err = write_packets(files->odd, WriteFormat::kPcap, set, 1);
    if (!err.empty()) {
      out.error = fmt::format("writing the slice files in {}: {}", dir.string(), err);
      return out;
    }
    // The project reads compressed files but does not write them: the Debian tools do.
    const std::string cmd = fmt::format("gzip -c '{0}' > '{1}' && zstd -q -f -c '{0}' > '{2}'", files->pcap,
                                        files->gzip, files->zstd);
    if (std::system(cmd.c_str()) != 0) {
      out.error = fmt::format("'{}' failed (gzip and zstd must be installed)", cmd);
      return out;
    }
    std::ofstream(done.string()) << "ok\n";
  }
  out.value = std::move(files);
  return out;
}

}  // namespace

const SliceFiles* slice_files(benchmark::State& state) {
  const PacketSet* set = capture_packets(state);
  if (!set) return nullptr;
  static const Loaded<SliceFiles> loaded = make_slice_files(*set);
  return get_or_skip(state, loaded);
}

// ------------------------------------------------------------------ streams

StreamSession make_stream_session(const std::vector<std::pair<bool, std::string>>& messages, std::size_t mss) {
  StreamSession s;
  for (const auto& [orig, text] : messages) {
    auto& buf = orig ? s.orig : s.resp;
    for (std::size_t at = 0; at < text.size(); at += mss) {
      const std::size_t n = std::min(mss, text.size() - at);
      s.chunks.push_back({orig, static_cast<std::uint32_t>(buf.size()), static_cast<std::uint32_t>(n)});
      buf.insert(buf.end(), text.begin() + static_cast<std::ptrdiff_t>(at),
                 text.begin() + static_cast<std::ptrdiff_t>(at + n));
    }
  }
  return s;
}

std::uint64_t total_bytes(const std::vector<StreamSession>& sessions) {
  std::uint64_t n = 0;
  for (const StreamSession& s : sessions) n += s.bytes();
  return n;
}

// ------------------------------------------------------------------ corpus harvest

std::string shared_dir() {
  const char* p = std::getenv("PCAPSCOPE_SHARED");
  return p ? p : PCAPSCOPE_SHARED_DIR;
}

namespace {

// Per protocol, enough distinct sessions to be a mix without making a pass
// over them take seconds.
constexpr std::uint64_t kMaxStreamBytesPerProto = 8u << 20;
constexpr std::size_t kMaxDnsMessages = 50'000;
constexpr std::size_t kMaxQuicSessions = 2'000;
constexpr std::size_t kMaxQuicDatagrams = 16;

class Harvester final : public SessionObserver {
 public:
  explicit Harvester(ProtoCorpus& out) : out_(out) {}

  session::StreamReceiver* stream_receiver(const SessionRecord& rec, bool orig) override {
    auto& open = open_[std::string(rec.uid_view())];
    if (!open) open = std::make_unique<Open>();
    Direction& d = open->dir[orig ? 0 : 1];
    d.open = open.get();
    d.orig = orig;
    return &d;
  }

  void on_datagram(const SessionRecord& rec, bool from_orig, Bytes payload, const Packet&) override {
    if (rec.proto != Transport::kUdp || payload.empty()) return;
    if (rec.orig_p == 53 || rec.resp_p == 53) {
      if (payload.size() >= 12 && out_.dns.size() < kMaxDnsMessages) out_.dns.emplace_back(payload.begin(), payload.end());
      return;
    }
    const std::string uid(rec.uid_view());
    auto it = quic_.find(uid);
    if (it == quic_.end()) {
      if (!from_orig || !proto::quic::looks_like_quic_initial(payload)) return;
      it = quic_.emplace(uid, std::vector<Datagram>{}).first;
    }
    if (it->second.size() < kMaxQuicDatagrams)
      it->second.push_back(Datagram{from_orig, std::vector<std::uint8_t>(payload.begin(), payload.end())});
  }

  void on_session_end(const SessionRecord& rec) override {
    const std::string uid(rec.uid_view());
    if (auto q = quic_.find(uid); q != quic_.end()) {
      if (out_.quic.size() < kMaxQuicSessions) out_.quic.push_back(std::move(q->second));
      quic_.erase(q);
    }
    auto it = open_.find(uid);
    if (it == open_.end()) return;
    StreamSession& s = it->second->session;
    using proto::HeadVerdict;
    const HeadVerdict o = head(s.orig), r = head(s.resp);
    std::vector<StreamSession>* to = nullptr;
    if (o == HeadVerdict::kHttpRequest || r == HeadVerdict::kHttpResponse) {
      to = &out_.http;
    } else if (o == HeadVerdict::kTls || r == HeadVerdict::kTls) {
      to = &out_.tls;
    } else if (o == HeadVerdict::kSsh || r == HeadVerdict::kSsh) {
      to = &out_.ssh;
    }
    if (to && !s.chunks.empty()) {
      std::uint64_t held = 0;
      for (const StreamSession& x : *to) held += x.bytes();
      if (held + s.bytes() <= kMaxStreamBytesPerProto) to->push_back(std::move(s));
    }
    open_.erase(it);
  }

 private:
  struct Open;
  struct Direction final : session::StreamReceiver {
    Open* open = nullptr;
    bool orig = false;
    void on_data(std::uint64_t offset, Bytes data, std::uint64_t) override { open->add(orig, offset, data); }
    void on_gap(std::uint64_t, std::uint64_t) override { open->gapped[orig ? 0 : 1] = true; }
  };
  struct Open {
    StreamSession session;
    Direction dir[2];
    bool gapped[2] = {false, false};
    // Keeps the gap-free prefix of each direction, up to the cap.
    void add(bool orig, std::uint64_t offset, Bytes data) {
      auto& buf = orig ? session.orig : session.resp;
      bool& gap = gapped[orig ? 0 : 1];
      if (gap || offset != buf.size()) {
        gap = true;
        return;
      }
      const std::size_t take = std::min(data.size(), StreamSession::kMaxStreamBytes - buf.size());
      if (take == 0) return;
      session.chunks.push_back({orig, static_cast<std::uint32_t>(buf.size()), static_cast<std::uint32_t>(take)});
      buf.insert(buf.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(take));
    }
  };

  static proto::HeadVerdict head(const std::vector<std::uint8_t>& s) {
    const std::size_t n = std::min(s.size(), proto::kHeadBytes);
    return proto::classify_head(std::span<const std::uint8_t>(s.data(), n), true, false);
  }

  ProtoCorpus& out_;
  std::unordered_map<std::string, std::unique_ptr<Open>> open_;
  std::unordered_map<std::string, std::vector<Datagram>> quic_;
};

Loaded<ProtoCorpus> harvest_corpus() {
  Loaded<ProtoCorpus> out;
  const fs::path root = fs::path(shared_dir()) / "corpus";
  std::ifstream manifest(root / "MANIFEST.tsv");
  if (!manifest) {
    out.error = fmt::format("no corpus at {} (set PCAPSCOPE_SHARED to the shared directory)", root.string());
    return out;
  }
  auto corpus = std::make_unique<ProtoCorpus>();
  std::string line;
  std::getline(manifest, line);  // header: file format linktype packets capinfos_status
  while (std::getline(manifest, line)) {
    std::vector<std::string_view> col;
    for (std::string_view rest = line;;) {
      const auto tab = rest.find('\t');
      col.push_back(rest.substr(0, tab));
      if (tab == std::string_view::npos) break;
      rest.remove_prefix(tab + 1);
    }
    if (col.size() < 5 || col[1] != "pcap" || col[2] != "ether" || col[4] != "0" || col[0].ends_with(".gz")) continue;
    auto reader = CaptureReader::open((root / std::string(col[0])).string());
    if (!reader) continue;
    Harvester harvester(*corpus);
    SessionTable table(SessionOptions{}, &harvester);
    Packet p;
    DecodedPacket d;
    while ((*reader)->next(p)) {
      decode(p, d);
      table.process(d);
    }
    table.finish();
    ++corpus->files;
  }
  if (corpus->files == 0) {
    out.error = fmt::format("no Ethernet pcap of {} could be read", (root / "MANIFEST.tsv").string());
    return out;
  }
  out.value = std::move(corpus);
  return out;
}

}  // namespace

const ProtoCorpus* proto_corpus(benchmark::State& state) {
  static const Loaded<ProtoCorpus> loaded = harvest_corpus();
  return get_or_skip(state, loaded);
}

}  // namespace pcapscope::bench

// One main for all the globbed benchmark files.
BENCHMARK_MAIN();

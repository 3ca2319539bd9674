// Session stage: packets through SessionTable (flow lookup, TCP state,
// history, fragments, stream reassembly), on packets read and decoded up
// front so only the session stage is timed; and the flow index alone.
//
// BM_SessionsCapture over the first packets of PCAPSCOPE_BENCH_PCAP (see
// bench_support.h), as a ladder measured in one run: without reassembly,
// default (reassembly, no consumer), with the protocol stage, and with the
// protocol stage reporting per-frame fields (what an application-field
// filter on `packets` costs).
// BM_SessionsSynFlood: 1M distinct 5-tuples, SYN only, every packet a new
// session: the flow-table worst case, with room for all (the table grows to
// 1M) and with a 10k cap (every packet evicts the session idle longest).
// BM_FlowIndex*: the open-addressing index (session/flow_table.h) with 1M
// keys and no sessions behind it: insertion with growth, hits, misses, and
// churn at a steady 10k (insert one, erase the oldest) as eviction does.
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "bench_support.h"
#include "pcapscope/pcapscope.h"
#include "pcapscope/proto.h"
#include "pcapscope/session.h"
#include "session/flow_key.h"
#include "session/flow_table.h"
#include "tools/packet_builder.h"

namespace pcapscope::bench {
namespace {

class CountingObserver final : public SessionObserver, public ProtocolObserver {
 public:
  void on_session_end(const SessionRecord& r) override { sink_ += r.orig_pkts + r.service.size(); }
  void on_dns(const DnsLogRecord& r) override { sink_ += r.answers.size(); }
  void on_http(const HttpLogRecord& r) override { sink_ += r.uri.size(); }
  void on_ssl(const SslLogRecord& r) override { sink_ += r.ja3.size(); }
  void on_ssh(const SshLogRecord& r) override { sink_ += r.client.size(); }
  void on_frame_field(std::uint64_t, const FieldDef&, const FieldValue& v) override { sink_ += v.present; }
  std::uint64_t sink_ = 0;
};

enum class Mode { kNoReassembly, kDefault, kProtocols, kProtocolFrameFields };

void BM_SessionsCapture(benchmark::State& state, Mode mode) {
  const std::vector<DecodedPacket>* decoded = capture_decoded(state);
  if (!decoded) return;
  SessionOptions opt;
  opt.reassemble = mode != Mode::kNoReassembly;
  ProtocolOptions popt;
  popt.frame_fields = mode == Mode::kProtocolFrameFields;
  const bool protocols = mode == Mode::kProtocols || mode == Mode::kProtocolFrameFields;
  std::uint64_t sessions = 0;
  for (auto _ : state) {
    CountingObserver obs;
    ProtocolStage stage(popt, &obs, &obs);
    SessionTable table(opt, protocols ? static_cast<SessionObserver*>(&stage) : &obs);
    for (const DecodedPacket& d : *decoded) table.process(d);
    table.finish();
    sessions = table.stats().sessions;
    benchmark::DoNotOptimize(obs.sink_);
  }
  state.counters["sessions"] = static_cast<double>(sessions);
  set_rates(state, decoded->size(), capture_packets(state)->bytes);
}

constexpr std::uint32_t kFloodFlows = 1'000'000;

// One SYN per flow from distinct sources. All frames have the same layout,
// so one decoded template serves for all of them (only its packet pointer
// changes): 1M DecodedPackets would take 0.5 GB.
struct SynFlood {
  PacketSet set;
  DecodedPacket tmpl;
  bool uniform = true;
};

const SynFlood& syn_flood() {
  static const std::unique_ptr<SynFlood> flood = [] {
    auto f = std::make_unique<SynFlood>();
    std::vector<std::vector<std::uint8_t>> frames;
    frames.reserve(kFloodFlows);
    const tools::Mac a{2, 0, 0, 0, 0, 0x66}, b{2, 0, 0, 0, 0, 1};
    for (std::uint32_t i = 0; i < kFloodFlows; ++i) {
      const tools::Ip4 src{10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                           static_cast<std::uint8_t>(i)};
      tools::TcpSegment syn{static_cast<std::uint16_t>(1024 + i % 60000), 80, i * 2654435761u, 0, tools::tcpf::kSyn};
      frames.push_back(tools::ipv4(tools::ethernet(b, a, 0x0800), src, {192, 0, 2, 80}, 6, tools::tcp(syn)));
    }
    f->set = make_packet_set(frames);
    decode(f->set.packets[0], f->tmpl);
    DecodedPacket d;
    for (std::size_t i = 1; i < f->set.packets.size(); i += 9973) {
      decode(f->set.packets[i], d);
      f->uniform = f->uniform && d.layer_count == f->tmpl.layer_count && d.anomaly_count == f->tmpl.anomaly_count &&
                   std::memcmp(d.layers.data(), f->tmpl.layers.data(), sizeof d.layers) == 0;
    }
    return f;
  }();
  return *flood;
}

void BM_SessionsSynFlood(benchmark::State& state) {
  const SynFlood& flood = syn_flood();
  if (!flood.uniform) {
    state.SkipWithError("synthetic SYNs decode to different layouts: the shared template is wrong");
    return;
  }
  SessionOptions opt;
  opt.max_sessions = static_cast<std::size_t>(state.range(0));
  DecodedPacket d = flood.tmpl;
  std::uint64_t evicted = 0;
  for (auto _ : state) {
    CountingObserver obs;
    SessionTable table(opt, &obs);
    for (const Packet& p : flood.set.packets) {
      d.packet = &p;
      table.process(d);
    }
    table.finish();
    evicted = table.stats().evicted;
    benchmark::DoNotOptimize(obs.sink_);
  }
  state.counters["evicted"] = static_cast<double>(evicted);
  set_rates(state, flood.set.packets.size(), flood.set.bytes);
}

// ------------------------------------------------------------------ flow index alone

struct Keys {
  std::vector<session::FlowKey> keys;  // the stored key of index i (what the slab would hold)
  std::vector<std::uint64_t> hashes;
  std::vector<std::uint64_t> miss_hashes;  // keys never inserted
};

const Keys& flow_keys() {
  static const Keys k = [] {
    Keys out;
    constexpr std::uint64_t kSeed = 0x5eed;
    for (std::uint32_t i = 0; i < 2 * kFloodFlows; ++i) {
      session::FlowKey key;
      key.addr_a = {10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                    static_cast<std::uint8_t>(i)};
      key.addr_b = {192, 0, 2, 80};
      key.port_a = static_cast<std::uint16_t>(1024 + i % 60000);
      key.port_b = 80;
      key.ip_proto = 6;
      const std::uint64_t h = session::hash_key(key, kSeed);
      if (i < kFloodFlows) {
        out.keys.push_back(key);
        out.hashes.push_back(h);
      } else {
        out.miss_hashes.push_back(h);
      }
    }
    return out;
  }();
  return k;
}

session::FlowIndex filled_index(const Keys& k) {
  session::FlowIndex index;
  for (std::uint32_t i = 0; i < k.keys.size(); ++i) {
    if (index.needs_growth()) index.grow();
    index.insert(k.hashes[i], i);
  }
  return index;
}

void BM_FlowIndexInsert(benchmark::State& state) {
  const Keys& k = flow_keys();
  for (auto _ : state) {
    session::FlowIndex index = filled_index(k);
    benchmark::DoNotOptimize(index.size());
  }
  set_rates(state, k.keys.size(), k.keys.size() * sizeof(session::FlowKey));  // bytes: the keys
}

void BM_FlowIndexFind(benchmark::State& state) {
  const Keys& k = flow_keys();
  const bool hit = state.range(0) != 0;
  const session::FlowIndex index = filled_index(k);
  const std::vector<std::uint64_t>& hashes = hit ? k.hashes : k.miss_hashes;
  const session::FlowKey probe{};
  std::uint64_t found = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < hashes.size(); ++i) {
      const session::FlowKey& key = hit ? k.keys[i] : probe;
      found += index.find(key, hashes[i], [&](std::uint32_t at) { return k.keys[at] == key; }) != session::kNoSession;
    }
  }
  benchmark::DoNotOptimize(found);
  state.counters["memory_MiB"] = static_cast<double>(index.memory()) / (1 << 20);
  set_rates(state, hashes.size(), hashes.size() * sizeof(session::FlowKey));
}

void BM_FlowIndexChurn(benchmark::State& state) {
  const Keys& k = flow_keys();
  constexpr std::uint32_t kLive = 10'000;
  for (auto _ : state) {
    session::FlowIndex index;
    for (std::uint32_t i = 0; i < k.keys.size(); ++i) {
      if (i >= kLive) index.erase(k.hashes[i - kLive], i - kLive);
      if (index.needs_growth()) index.grow();
      index.insert(k.hashes[i], i);
    }
    benchmark::DoNotOptimize(index.size());
  }
  set_rates(state, k.keys.size(), k.keys.size() * sizeof(session::FlowKey));  // bytes: the keys
}

BENCHMARK_CAPTURE(BM_SessionsCapture, no_reassembly, Mode::kNoReassembly)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SessionsCapture, default, Mode::kDefault)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SessionsCapture, protocols, Mode::kProtocols)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SessionsCapture, protocols_frame_fields, Mode::kProtocolFrameFields)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SessionsSynFlood)->ArgName("max_sessions")->Arg(1'000'000)->Arg(10'000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FlowIndexInsert)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FlowIndexFind)->ArgName("hit")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_FlowIndexChurn)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pcapscope::bench

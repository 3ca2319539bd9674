// Session-stage throughput: packets through SessionTable (flow lookup, TCP
// state, history, stream reassembly), with the capture read and decoded up
// front so only the session stage is timed.
//
// BM_SessionsCapture runs over PCAPSCOPE_BENCH_PCAP (bench/run.sh sets it),
// without (arg 0) and with (arg 1) the protocol stage, so its cost is a ratio
// measured in one run;
// BM_SessionsSynFlood over synthetic SYN-only flows from distinct sources,
// the flow-table worst case (every packet a new session, evictions at the cap).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "../tools/packet_builder.h"
#include "pcapscope/pcapscope.h"
#include "pcapscope/proto.h"
#include "pcapscope/session.h"

namespace {

using namespace pcapscope;

struct Loaded {
  std::vector<std::vector<std::uint8_t>> bytes;
  std::vector<Packet> packets;
  std::uint64_t total_bytes = 0;
};

// Packets held in memory (copies), so the timed loop reads no file.
std::unique_ptr<Loaded> load_capture(const std::string& path, std::size_t max_packets) {
  auto reader = CaptureReader::open(path);
  if (!reader) return nullptr;
  auto out = std::make_unique<Loaded>();
  Packet p;
  while (out->packets.size() < max_packets && (*reader)->next(p)) {
    out->bytes.emplace_back(p.data.begin(), p.data.end());
    out->packets.push_back(p);
    out->total_bytes += p.data.size();
  }
  for (std::size_t i = 0; i < out->packets.size(); ++i) out->packets[i].data = Bytes(out->bytes[i]);
  return out;
}

class CountingObserver final : public SessionObserver, public ProtocolObserver {
 public:
  void on_session_end(const SessionRecord& r) override { sink_ += r.orig_pkts + r.service.size(); }
  void on_dns(const DnsLogRecord& r) override { sink_ += r.answers.size(); }
  void on_http(const HttpLogRecord& r) override { sink_ += r.uri.size(); }
  void on_ssl(const SslLogRecord& r) override { sink_ += r.ja3.size(); }
  void on_ssh(const SshLogRecord& r) override { sink_ += r.client.size(); }
  std::uint64_t sink_ = 0;
};

void run_sessions(benchmark::State& state, const Loaded& data, SessionOptions opt, bool protocols = false) {
  std::vector<DecodedPacket> decoded(data.packets.size());
  for (std::size_t i = 0; i < data.packets.size(); ++i) decode(data.packets[i], decoded[i]);
  std::uint64_t sessions = 0;
  for (auto _ : state) {
    CountingObserver obs;
    ProtocolStage stage(ProtocolOptions{}, &obs, &obs);
    SessionTable table(opt, protocols ? static_cast<SessionObserver*>(&stage) : &obs);
    for (const DecodedPacket& d : decoded) table.process(d);
    table.finish();
    sessions += table.stats().sessions;
    benchmark::DoNotOptimize(obs.sink_);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * data.packets.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * data.total_bytes));
  state.counters["sessions"] = static_cast<double>(sessions) / static_cast<double>(state.iterations());
}

void BM_SessionsCapture(benchmark::State& state) {
  const char* path = std::getenv("PCAPSCOPE_BENCH_PCAP");
  if (!path) {
    state.SkipWithError("set PCAPSCOPE_BENCH_PCAP to a capture (bench/run.sh does)");
    return;
  }
  static std::unique_ptr<Loaded> data = load_capture(path, 2'000'000);
  if (!data) {
    state.SkipWithError("cannot read PCAPSCOPE_BENCH_PCAP");
    return;
  }
  run_sessions(state, *data, SessionOptions{}, state.range(0) != 0);
}

void BM_SessionsSynFlood(benchmark::State& state) {
  static std::unique_ptr<Loaded> data = [] {
    auto out = std::make_unique<Loaded>();
    const tools::Mac a{2, 0, 0, 0, 0, 0x66}, b{2, 0, 0, 0, 0, 1};
    for (std::uint32_t i = 0; i < 200'000; ++i) {
      const tools::Ip4 src{10, static_cast<std::uint8_t>(i >> 16), static_cast<std::uint8_t>(i >> 8),
                           static_cast<std::uint8_t>(i)};
      tools::TcpSegment syn{static_cast<std::uint16_t>(1024 + i % 60000), 80, i * 2654435761u, 0, tools::tcpf::kSyn};
      out->bytes.push_back(tools::ipv4(tools::ethernet(b, a, 0x0800), src, {192, 0, 2, 80}, 6, tools::tcp(syn)));
      Packet p;
      p.ts_ns = 1'700'000'000'000'000'000LL + i * 1000LL;
      p.link_type = linktype::kEthernet;
      p.frame = i + 1;
      out->packets.push_back(p);
      out->total_bytes += out->bytes.back().size();
    }
    for (std::size_t i = 0; i < out->packets.size(); ++i) {
      out->packets[i].data = Bytes(out->bytes[i]);
      out->packets[i].orig_len = static_cast<std::uint32_t>(out->bytes[i].size());
    }
    return out;
  }();
  SessionOptions opt;
  opt.max_sessions = static_cast<std::size_t>(state.range(0));
  run_sessions(state, *data, opt);
}

BENCHMARK(BM_SessionsCapture)->ArgName("protocols")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SessionsSynFlood)->Arg(1'000'000)->Arg(10'000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

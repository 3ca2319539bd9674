// Read and read+decode throughput over a real-traffic capture.
//
// The capture is named by PCAPSCOPE_BENCH_PCAP (bench/run.sh makes one with
// ../shared/bench/make-bench-pcap.py). Reported: packets/s (items_per_second)
// and captured bytes/s.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "pcapscope/pcapscope.h"

namespace {

std::string bench_file() {
  const char* p = std::getenv("PCAPSCOPE_BENCH_PCAP");
  return p ? p : "";
}

template <bool kDecode, bool kFields>
void run(benchmark::State& state) {
  const std::string path = bench_file();
  if (path.empty()) {
    state.SkipWithError("set PCAPSCOPE_BENCH_PCAP to a capture (bench/run.sh does)");
    return;
  }
  const pcapscope::FieldDef* dport = pcapscope::find_field("tcp.dstport");
  const pcapscope::FieldDef* src = pcapscope::find_field("ip.src");
  std::uint64_t packets = 0, bytes = 0, sink = 0;
  for (auto _ : state) {
    auto reader = pcapscope::CaptureReader::open(path);
    if (!reader) {
      state.SkipWithError(reader.error().message.c_str());
      return;
    }
    pcapscope::Packet pkt;
    pcapscope::DecodedPacket dec;
    while ((*reader)->next(pkt)) {
      ++packets;
      bytes += pkt.data.size();
      if constexpr (kDecode) {
        pcapscope::decode(pkt, dec);
        sink += dec.layer_count;
        if constexpr (kFields) sink += get_field(dec, *dport).u + get_field(dec, *src).addr[3];
      }
    }
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(static_cast<std::int64_t>(packets));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_Read(benchmark::State& s) { run<false, false>(s); }
void BM_ReadDecode(benchmark::State& s) { run<true, false>(s); }
void BM_ReadDecodeTwoFields(benchmark::State& s) { run<true, true>(s); }

BENCHMARK(BM_Read)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ReadDecode)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ReadDecodeTwoFields)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

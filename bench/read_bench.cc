// Capture stage: packets read from files, per input form.
//
// BM_Read* run over the whole bench capture (PCAPSCOPE_BENCH_PCAP) as the
// commands read it: read only, read + decode, read + decode + two fields.
// BM_ReadFormat reads the same first packets (bench_support's slice, 200,000
// by default) stored as pcap, pcapng, gzip- and zstd-compressed pcap, so the
// formats compare over identical packets; BM_ReadTimeline merges that slice
// split alternately into two files, the worst case for the merge (every
// packet switches file), next to a Timeline over the single file.
// Real time is reported: the files are in the page cache after the first
// pass, and time in the kernel's copy counts as reading.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench_support.h"
#include "pcapscope/pcapscope.h"

namespace pcapscope::bench {
namespace {

template <bool kDecode, bool kFields>
void run_whole_file(benchmark::State& state) {
  const std::string path = capture_path();
  if (path.empty()) {
    state.SkipWithError(kNoCapture);
    return;
  }
  const FieldDef* dport = find_field("tcp.dstport");
  const FieldDef* src = find_field("ip.src");
  std::uint64_t packets = 0, bytes = 0, sink = 0;
  for (auto _ : state) {
    auto reader = CaptureReader::open(path);
    if (!reader) {
      state.SkipWithError("cannot open PCAPSCOPE_BENCH_PCAP");
      return;
    }
    Packet pkt;
    DecodedPacket dec;
    packets = bytes = 0;
    while ((*reader)->next(pkt)) {
      ++packets;
      bytes += pkt.data.size();
      if constexpr (kDecode) {
        decode(pkt, dec);
        sink += dec.layer_count;
        if constexpr (kFields) sink += get_field(dec, *dport).u + get_field(dec, *src).addr[3];
      }
    }
  }
  benchmark::DoNotOptimize(sink);
  set_rates(state, packets, bytes);
}

void BM_Read(benchmark::State& s) { run_whole_file<false, false>(s); }
void BM_ReadDecode(benchmark::State& s) { run_whole_file<true, false>(s); }
void BM_ReadDecodeTwoFields(benchmark::State& s) { run_whole_file<true, true>(s); }

enum class Form { kPcap, kPcapng, kGzip, kZstd };

void BM_ReadFormat(benchmark::State& state, Form form) {
  const SliceFiles* files = slice_files(state);
  if (!files) return;
  const std::string& path = form == Form::kPcap     ? files->pcap
                            : form == Form::kPcapng ? files->pcapng
                            : form == Form::kGzip   ? files->gzip
                                                    : files->zstd;
  std::uint64_t packets = 0, bytes = 0;
  for (auto _ : state) {
    auto reader = CaptureReader::open(path);
    if (!reader) {
      state.SkipWithError("cannot open a slice file");
      return;
    }
    Packet pkt;
    packets = bytes = 0;
    while ((*reader)->next(pkt)) {
      ++packets;
      bytes += pkt.data.size();
    }
  }
  if (packets != files->packets) state.SkipWithError("slice file holds another packet count");
  set_rates(state, packets, bytes);
}

void BM_ReadTimeline(benchmark::State& state) {
  const SliceFiles* files = slice_files(state);
  if (!files) return;
  const std::vector<std::string> paths =
      state.range(0) == 2 ? std::vector<std::string>{files->even, files->odd} : std::vector<std::string>{files->pcap};
  std::uint64_t packets = 0, bytes = 0;
  for (auto _ : state) {
    auto timeline = Timeline::open(paths);
    if (!timeline) {
      state.SkipWithError("cannot open the slice files");
      return;
    }
    Packet pkt;
    packets = bytes = 0;
    while (timeline->next(pkt)) {
      ++packets;
      bytes += pkt.data.size();
    }
  }
  if (packets != files->packets) state.SkipWithError("timeline gave another packet count");
  set_rates(state, packets, bytes);
}

BENCHMARK(BM_Read)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ReadDecode)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ReadDecodeTwoFields)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ReadFormat, pcap, Form::kPcap)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ReadFormat, pcapng, Form::kPcapng)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ReadFormat, gzip, Form::kGzip)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ReadFormat, zstd, Form::kZstd)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ReadTimeline)->ArgName("files")->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace pcapscope::bench

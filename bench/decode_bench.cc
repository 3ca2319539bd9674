// Decode stage on packets held in memory (the first packets of the bench
// capture, see bench_support.h), so reading costs nothing here.
//
// BM_Decode: decode() per packet. BM_DecodeGetField: one field read from
// already-decoded packets, per field (a peer field such as tcp.port reads
// one side, as output columns do). BM_DecodeFieldsCsv: the seven fields of
// `packets --format csv --fields ...` in bench/run.sh, read and formatted into
// a line. BM_DecodeSummary: the tshark-like summary line (summarize() plus
// joining its columns), what `packets` prints by default.
#include <benchmark/benchmark.h>

#include <string>
#include <string_view>
#include <vector>

#include "bench_support.h"
#include "pcapscope/pcapscope.h"

namespace pcapscope::bench {
namespace {

void BM_Decode(benchmark::State& state) {
  const PacketSet* set = capture_packets(state);
  if (!set) return;
  DecodedPacket dec;
  std::uint64_t layers = 0;
  for (auto _ : state) {
    for (const Packet& p : set->packets) {
      decode(p, dec);
      layers += dec.layer_count;
    }
  }
  benchmark::DoNotOptimize(layers);
  state.counters["layers/pkt"] =
      static_cast<double>(layers) / static_cast<double>(state.iterations() * set->packets.size());
  set_rates(state, set->packets.size(), set->bytes);
}

void BM_DecodeGetField(benchmark::State& state, std::string_view name) {
  const std::vector<DecodedPacket>* decoded = capture_decoded(state);
  if (!decoded) return;
  const FieldDef* field = find_field(name);
  if (!field) {
    state.SkipWithError("unknown field name");
    return;
  }
  std::uint64_t present = 0, sink = 0;
  for (auto _ : state) {
    for (const DecodedPacket& d : *decoded) {
      const FieldValue v = get_field(d, *field);
      present += v.present;
      sink += v.u + v.addr[3];
    }
  }
  benchmark::DoNotOptimize(sink);
  state.counters["present"] =
      static_cast<double>(present) / static_cast<double>(state.iterations() * decoded->size());
  set_rates(state, decoded->size(), capture_packets(state)->bytes);
}

void BM_DecodeFieldsCsv(benchmark::State& state) {
  const std::vector<DecodedPacket>* decoded = capture_decoded(state);
  if (!decoded) return;
  std::vector<const FieldDef*> fields;
  for (std::string_view n : {"frame.number", "ip.src", "ip.dst", "tcp.srcport", "tcp.dstport", "udp.srcport",
                             "udp.dstport"})
    fields.push_back(find_field(n));
  std::string line;
  std::uint64_t chars = 0;
  for (auto _ : state) {
    for (const DecodedPacket& d : *decoded) {
      line.clear();
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i) line += ',';
        append_value(line, *fields[i], get_field(d, *fields[i]));
      }
      line += '\n';
      chars += line.size();
    }
  }
  benchmark::DoNotOptimize(chars);
  set_rates(state, decoded->size(), capture_packets(state)->bytes);
}

void BM_DecodeSummary(benchmark::State& state) {
  const std::vector<DecodedPacket>* decoded = capture_decoded(state);
  if (!decoded) return;
  Summary s;
  std::string line;
  std::uint64_t chars = 0;
  for (auto _ : state) {
    for (const DecodedPacket& d : *decoded) {
      summarize(d, s);
      line.clear();
      line.append(s.source).append(" → ").append(s.destination).append(" ");
      line.append(s.protocol).append(" ").append(s.info);
      chars += line.size();
    }
  }
  benchmark::DoNotOptimize(chars);
  set_rates(state, decoded->size(), capture_packets(state)->bytes);
}

BENCHMARK(BM_Decode)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DecodeGetField, ip.src, "ip.src")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DecodeGetField, tcp.port, "tcp.port")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DecodeGetField, tcp.len, "tcp.len")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DecodeGetField, tcp.flags, "tcp.flags")->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_DecodeGetField, frame.len, "frame.len")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeFieldsCsv)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeSummary)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pcapscope::bench

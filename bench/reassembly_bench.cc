// TCP reassembly (session/reassembly.h): one direction's TcpStream fed a
// synthetic 8 MiB stream as segments, with the peer acknowledging what was
// delivered every second segment (as the session table relays ACKs), and a
// receiver that counts what it is handed.
//
// Orders: in order (full-size and 100-byte segments: the per-segment cost),
// every adjacent pair swapped (half the segments buffered out of order and
// drained), and every 10th segment retransmitted after the next one (compared
// with the delivered-bytes history). Items are segments, bytes payload bytes
// fed (retransmissions included).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "bench_support.h"
#include "session/reassembly.h"

namespace pcapscope::bench {
namespace {

using session::TcpStream;

constexpr std::size_t kStreamBytes = 8u << 20;
constexpr std::uint32_t kIsn = 0xfffff000;  // wraps 2^32 early on: the unwrapping path is exercised

struct Segment {
  std::uint32_t offset = 0;
  std::uint32_t length = 0;
};

enum class Order { kInOrder, kSwappedPairs, kRetransmitEvery10 };

std::vector<Segment> segments(std::uint32_t mss, Order order) {
  std::vector<Segment> in;
  for (std::uint32_t at = 0; at < kStreamBytes; at += mss)
    in.push_back({at, static_cast<std::uint32_t>(std::min<std::size_t>(mss, kStreamBytes - at))});
  if (order == Order::kInOrder) return in;
  std::vector<Segment> out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (order == Order::kSwappedPairs) {
      if (i + 1 < in.size()) {
        out.push_back(in[i + 1]);
        out.push_back(in[i]);
        ++i;
      } else {
        out.push_back(in[i]);
      }
    } else {
      out.push_back(in[i]);
      if (i % 10 == 1) out.push_back(in[i - 1]);  // the one before, again, after this one
    }
  }
  return out;
}

class ReadingReceiver final : public session::StreamReceiver {
 public:
  void on_data(std::uint64_t, Bytes data, std::uint64_t) override {
    bytes_ += data.size();
    sum_ += data[0] + data[data.size() - 1];  // a parser looks at the bytes; reading them all would time memory
  }
  void on_gap(std::uint64_t, std::uint64_t len) override { gaps_ += len; }
  std::uint64_t bytes_ = 0, gaps_ = 0, sum_ = 0;
};

void BM_Reassembly(benchmark::State& state, std::uint32_t mss, Order order) {
  static const std::vector<std::uint8_t> payload = [] {
    std::vector<std::uint8_t> p(kStreamBytes);
    std::uint32_t x = 12345;
    for (auto& b : p) b = static_cast<std::uint8_t>((x = x * 1103515245 + 12345) >> 24);
    return p;
  }();
  const std::vector<Segment> segs = segments(mss, order);
  std::uint64_t fed = 0;
  for (const Segment& s : segs) fed += s.length;
  std::uint64_t retransmitted = 0, out_of_order = 0;
  for (auto _ : state) {
    session::ReassemblyBudget budget(256u << 20);
    ReadingReceiver rx;
    TcpStream stream;
    stream.attach(&rx, &budget);
    (void)stream.add(kIsn, TcpStream::kSyn, {}, 1);
    std::uint64_t frame = 2;
    for (std::size_t i = 0; i < segs.size(); ++i) {
      const Segment& s = segs[i];
      (void)stream.add(kIsn + 1 + s.offset, 0x10, Bytes(payload.data() + s.offset, s.length), frame++);
      if (i % 2 == 1) stream.on_peer_ack(kIsn + 1 + static_cast<std::uint32_t>(stream.delivered()));
    }
    stream.flush();
    if (rx.bytes_ != kStreamBytes || rx.gaps_ != 0) {
      state.SkipWithError("the stream was not delivered whole");
      return;
    }
    retransmitted = stream.counters().retransmitted_bytes;
    out_of_order = stream.counters().out_of_order_segments;
    benchmark::DoNotOptimize(rx.sum_);
  }
  state.counters["retransmitted_bytes"] = static_cast<double>(retransmitted);
  state.counters["ooo_segments"] = static_cast<double>(out_of_order);
  set_rates(state, segs.size(), fed);
}

BENCHMARK_CAPTURE(BM_Reassembly, in_order, 1448, Order::kInOrder)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Reassembly, in_order_100B, 100, Order::kInOrder)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Reassembly, swapped_pairs, 1448, Order::kSwappedPairs)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Reassembly, retransmit_every_10, 1448, Order::kRetransmitEvery10)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pcapscope::bench

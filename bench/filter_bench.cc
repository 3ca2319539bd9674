// Filter evaluation (the filter language, pcapscope/filter.h), compiled once
// and evaluated on packets decoded up front (the first packets of the bench
// capture, see bench_support.h), and on conn records made by running the
// session stage over those packets once.
//
// Packet filters: header fields only (the one bench/run.sh times end to end
// against tshark -Y), a PCRE2 `matches` over every frame's bytes (the
// expensive case: no cheaper test guards it), and a set with a range plus
// arithmetic. BM_FilterCompile times compiling each expression (per
// command line, not per packet; here to keep it cheap). Items are packets or
// records evaluated; the fraction that matched is a counter.
#include <benchmark/benchmark.h>

#include <deque>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "bench_support.h"
#include "pcapscope/filter.h"
#include "pcapscope/pcapscope.h"

namespace pcapscope::bench {
namespace {

using filter::Filter;

constexpr std::string_view kHeader = "tcp.port == 443 && tcp.len > 0 && ip.ttl < 128";
constexpr std::string_view kMatches = "frame matches \"google|facebook|microsoft\"";
constexpr std::string_view kSetArith = "tcp.port in {80, 443, 8000..8080} && tcp.len * 2 >= frame.len - 100";
constexpr std::string_view kConnBytes = "orig_bytes > 10 * resp_bytes && duration > 60";
constexpr std::string_view kConnText = "id.resp_p in {80, 443, 8080} && conn_state == \"SF\" && history matches \"^ShAD\"";

// The compiled filter, or null after SkipWithError (with the compiler's message).
const Filter* compiled(benchmark::State& state, std::string_view expr, filter::Subject subject) {
  static std::deque<std::pair<std::string, Filter>> cache;  // a deque: the pointers handed out stay valid
  for (const auto& [e, f] : cache)
    if (e == expr) return &f;
  auto r = Filter::compile(expr, subject);
  if (auto* err = std::get_if<filter::CompileError>(&r)) {
    static std::string message;
    message = err->render(expr);
    state.SkipWithError(message.c_str());
    return nullptr;
  }
  cache.emplace_back(std::string(expr), std::move(std::get<Filter>(r)));
  return &cache.back().second;
}

void BM_FilterPacket(benchmark::State& state, std::string_view expr) {
  const std::vector<DecodedPacket>* decoded = capture_decoded(state);
  if (!decoded) return;
  const Filter* f = compiled(state, expr, filter::Subject::kPacket);
  if (!f) return;
  std::uint64_t matched = 0;
  for (auto _ : state) {
    matched = 0;
    for (const DecodedPacket& d : *decoded) matched += f->matches(d);
  }
  state.counters["matched"] = static_cast<double>(matched) / static_cast<double>(decoded->size());
  set_rates(state, decoded->size(), capture_packets(state)->bytes);
}

class Collect final : public SessionObserver {
 public:
  void on_session_end(const SessionRecord& r) override { records.push_back(r); }
  std::vector<SessionRecord> records;
};

void BM_FilterConn(benchmark::State& state, std::string_view expr) {
  const std::vector<DecodedPacket>* decoded = capture_decoded(state);
  if (!decoded) return;
  static const std::vector<SessionRecord> records = [decoded] {
    Collect c;
    SessionTable table(SessionOptions{}, &c);
    for (const DecodedPacket& d : *decoded) table.process(d);
    table.finish();
    return std::move(c.records);
  }();
  const Filter* f = compiled(state, expr, filter::Subject::kConn);
  if (!f) return;
  std::uint64_t matched = 0;
  for (auto _ : state) {
    matched = 0;
    for (const SessionRecord& r : records) matched += f->matches(r);
  }
  state.counters["matched"] = static_cast<double>(matched) / static_cast<double>(records.size());
  set_rates(state, records.size(), records.size() * sizeof(SessionRecord));  // bytes: of the records read
}

void BM_FilterCompile(benchmark::State& state, std::string_view expr, filter::Subject subject) {
  std::uint64_t ok = 0;
  for (auto _ : state) {
    auto r = Filter::compile(expr, subject);
    ok += std::holds_alternative<Filter>(r);
  }
  if (ok != static_cast<std::uint64_t>(state.iterations())) state.SkipWithError("the expression does not compile");
  set_rates(state, 1, expr.size());
}

BENCHMARK_CAPTURE(BM_FilterPacket, header, kHeader)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FilterPacket, matches, kMatches)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FilterPacket, set_arith, kSetArith)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FilterConn, bytes_duration, kConnBytes)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FilterConn, set_text_matches, kConnText)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FilterCompile, header, kHeader, filter::Subject::kPacket)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FilterCompile, matches, kMatches, filter::Subject::kPacket)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_FilterCompile, conn_text, kConnText, filter::Subject::kConn)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace pcapscope::bench

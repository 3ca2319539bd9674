// "Compiled once into an evaluator that allocates nothing per packet": this
// program replaces the global operator new to count allocations, warms a set
// of filters up on real packets, then requires zero allocations over the
// whole capture read again. Its own executable because replacing operator
// new is process-wide (and not built under the sanitizers, which replace it
// themselves).
//
// usage: pcapscope_filter_alloc_test CAPTURE
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>
#include <variant>
#include <vector>

#include "pcapscope/capture.h"
#include "pcapscope/decode.h"
#include "pcapscope/filter.h"

namespace {
bool g_counting = false;
unsigned long g_allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting) ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

int main(int argc, char** argv) {
  using namespace pcapscope;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s CAPTURE\n", argv[0]);
    return 2;
  }
  // Every kind of node: fields with several occurrences, arithmetic, sets,
  // slices, string functions (whose results need storage), regexes.
  const char* exprs[] = {
      "tcp.port in {80, 443, 8000..8080} && ip.addr == 10.0.0.0/8",
      "tcp.len * 2 >= frame.len - 54 || udp.length > 100",
      "frame contains \"HTTP\" || tcp[0:2] == 00:50",
      "lower(string(ip.src)) matches \"^1[0-9]*\\\\.\" && len(eth.addr) == 6",
      "max(tcp.srcport, tcp.dstport) > 1024 && count(ip.addr) == 2 && abs(-ip.ttl) < 200",
      "upper(string(frame.number)) == \"1\" ^^ !(ip.dst != 192.168.0.0/16)",
  };
  std::vector<filter::Filter> filters;
  for (const char* e : exprs) {
    auto r = filter::Filter::compile(e, filter::Subject::kPacket);
    if (!std::holds_alternative<filter::Filter>(r)) {
      std::fprintf(stderr, "does not compile: %s\n", e);
      return 1;
    }
    filters.push_back(std::move(std::get<filter::Filter>(r)));
  }
  unsigned long matches = 0, packets = 0;
  DecodedPacket dec;
  for (int pass = 0; pass < 2; ++pass) {
    auto tl = Timeline::open({argv[1]});
    if (!tl) {
      std::fprintf(stderr, "%s\n", tl.error().message.c_str());
      return 2;
    }
    Packet pkt;
    // Pass 0 warms the buffers up; pass 1 counts (reading itself allocates nothing per packet either,
    // but only the evaluation is inside the counted region).
    while (tl->next(pkt)) {
      decode(pkt, dec);
      g_counting = pass == 1;
      for (const auto& f : filters) matches += f.matches(dec);
      g_counting = false;
      packets += pass == 1;
    }
  }
  std::printf("%lu packets, %lu matches, %lu allocations while evaluating\n", packets, matches, g_allocations);
  return packets > 0 && matches > 0 && g_allocations == 0 ? 0 : 1;
}

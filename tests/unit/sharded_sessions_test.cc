// The sharded session stage (cli/sharded_sessions) gives what one
// SessionTable + ProtocolStage gives, in the same order: every record, every
// protocol record, anomaly and kept packet, with the same start indices, for
// any worker count. `analyze -j N` streams records in that order and its
// detectors see them in it, so any difference is a different output.
//
// The workload is built to stress exactly what the merge must get right:
// thousands of sessions over many batches (4,096 packets each), many of them
// timing out at one packet across protocol classes (UDP, TCP, ICMP, closed
// TCP) with equal idle clocks, IP-in-IP tunnels (the reader keeps the outer
// session, a worker the inner one), DNS and HTTP records (some completed
// only when their session ends), timestamps that step back, and the end of
// input with sessions still live.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "../../tools/packet_builder.h"
#include "cli/sharded_sessions.h"
#include "pcapscope/decode.h"
#include "pcapscope/proto.h"
#include "pcapscope/session.h"

namespace pcapscope {
namespace {

using tools::Frame;

// Capture time: a start (2023-11-14) and the steps the workload takes.
constexpr std::int64_t kSec = 1'000'000'000, kMs = kSec / 1000, kT0 = 1'700'000'000 * kSec;

// Every event, rendered: the order is part of what is compared.
class EventLog final : public SessionObserver, public ProtocolObserver {
 public:
  void on_session_end(const SessionRecord& r) override {
    events.push_back(fmt::format("end {} #{} {} {} {} flags {} frames {}-{}", r.uid_view(), r.index,
                                 conn_state_name(r.conn_state), r.history_view(), r.service, r.flags, r.first_frame,
                                 r.last_frame));
  }
  void on_packet(const SessionRecord& r, const DecodedPacket& p, bool from_orig) override {
    if (!wants(r, p, from_orig)) return;
    events.push_back(
        fmt::format("pkt {} #{} frame {} len {}", r.uid_view(), r.index, p.packet->frame, p.payload().size()));
  }
  void on_anomaly(const Packet&, std::string_view uid, std::string_view name) override {
    events.push_back(fmt::format("anomaly {} {}", uid, name));
  }
  void on_dns(const DnsLogRecord& r) override {
    events.push_back(fmt::format("dns {} {} {} {}", r.uid_view(), r.ts_ns, r.query, r.frame));
  }
  void on_http(const HttpLogRecord& r) override {
    events.push_back(
        fmt::format("http {} {} {} {} {} {}", r.uid_view(), r.ts_ns, r.method, r.uri, r.status_code, r.frame));
  }
  void on_problem(std::string_view uid, std::string_view name) override {
    events.push_back(fmt::format("problem {} {}", uid, name));
  }

  // The packets kept for packet detectors: payload from the originator to port 21.
  static bool wants(const SessionRecord& r, const DecodedPacket& p, bool from_orig) {
    return from_orig && r.resp_p == 21 && !p.payload().empty();
  }

  std::vector<std::string> events;
};

struct Workload {
  std::vector<Frame> frames;
  std::vector<std::int64_t> ts;
};

tools::Ip4 host(std::uint32_t n) {
  return {10, static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
}

Frame eth_ip(const tools::Ip4& s, const tools::Ip4& d, std::uint8_t proto, const Frame& l4, bool tunnel) {
  const tools::Mac a{2, 0, 0, 0, 0, 1}, b{2, 0, 0, 0, 0, 2};
  if (!tunnel) return tools::ipv4(tools::ethernet(a, b, 0x0800), s, d, proto, l4);
  // IP in IP: the outer session is the tunnel's (one pair for every tunnelled flow).
  const Frame inner = tools::ipv4(Frame{}, s, d, proto, l4);
  return tools::ipv4(tools::ethernet(a, b, 0x0800), {192, 168, 0, 1}, {192, 168, 0, 2}, 4, inner);
}

Frame bytes_of(std::string_view s) { return Frame(s.begin(), s.end()); }

// A seeded mix of conversations, each a few packets, interleaved, with idle
// gaps long enough to time sessions out in bulk.
Workload make_workload(unsigned seed) {
  std::mt19937 rng(seed);
  Workload w;
  std::int64_t t = kT0;
  auto push = [&](Frame f, std::int64_t when) {
    w.frames.push_back(std::move(f));
    w.ts.push_back(when);
  };
  for (std::uint32_t round = 0; round < 60; ++round) {
    for (std::uint32_t c = 0; c < 120; ++c) {
      const std::uint32_t n = round * 1000 + c;
      const tools::Ip4 cli = host(n), srv = host(0x8000 + (n % 37));
      const bool tunnel = rng() % 8 == 0;
      const auto cport = static_cast<std::uint16_t>(20000 + n % 30000);
      switch (rng() % 5) {
        case 0: {  // DNS query and answer (a record now); sometimes no answer (at the session's end)
          const tools::Ip4 ans{1, 2, 3, 4};
          const std::string name = fmt::format("h{}.example.com", n);
          push(eth_ip(cli, srv, 17, tools::udp(cport, 53, tools::dns(static_cast<std::uint16_t>(n), name, nullptr)),
                      tunnel),
               t);
          if (rng() % 3)
            push(eth_ip(srv, cli, 17, tools::udp(53, cport, tools::dns(static_cast<std::uint16_t>(n), name, &ans)),
                        tunnel),
                 t + kMs);
          break;
        }
        case 1:
        case 2: {  // HTTP over TCP; sometimes without an answer or a close (flushed at the end)
          const std::uint16_t sport = rng() % 4 == 0 ? 21 : 80;
          auto c2s = [&](std::uint32_t seq, std::uint32_t ack, std::uint8_t fl, std::string_view d = {}) {
            tools::TcpSegment s{cport, sport, seq, ack, fl, 64240, false};
            return eth_ip(cli, srv, 6, tools::tcp(s, d), tunnel);
          };
          auto s2c = [&](std::uint32_t seq, std::uint32_t ack, std::uint8_t fl, std::string_view d = {}) {
            tools::TcpSegment s{sport, cport, seq, ack, fl, 64240, false};
            return eth_ip(srv, cli, 6, tools::tcp(s, d), tunnel);
          };
          using namespace tools::tcpf;
          const std::string req = sport == 21 ? "USER anonymous\r\nPASS x\r\n"
                                              : fmt::format("GET /p{} HTTP/1.1\r\nHost: a\r\n\r\n", n);
          const std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
          push(c2s(1000, 0, kSyn), t);
          push(s2c(5000, 1001, kSyn | kAck), t + kMs);
          push(c2s(1001, 5001, kAck), t + 2 * kMs);
          push(c2s(1001, 5001, kPsh | kAck, req), t + 2 * kMs);  // same time: ties in the idle clock
          const auto after_req = static_cast<std::uint32_t>(1001 + req.size());
          if (rng() % 3) {
            push(s2c(5001, after_req, kPsh | kAck, resp), t + 3 * kMs);
            if (rng() % 2) {
              const auto after_resp = static_cast<std::uint32_t>(5001 + resp.size());
              push(c2s(after_req, after_resp, kFin | kAck), t + 4 * kMs);
              push(s2c(after_resp, after_req + 1, kFin | kAck), t + 4 * kMs);
            }
          }
          break;
        }
        case 3:  // ping
          push(eth_ip(cli, srv, 1, tools::icmp_echo(true, static_cast<std::uint16_t>(n), 1, "abcd"), tunnel), t);
          break;
        default:  // a lone UDP datagram, some of them stepping back in time
          push(eth_ip(cli, srv, 17, tools::udp(cport, 9999, bytes_of("x")), tunnel),
               rng() % 10 == 0 ? t - 50 * kMs : t);
          break;
      }
      t += static_cast<std::int64_t>(rng() % 3) * kMs;  // many equal timestamps
    }
    // Quiet long enough for UDP/ICMP (60 s) and closed TCP (5 s) to time out
    // together at the next packet, sometimes TCP (300 s) too.
    t += round % 7 == 6 ? 400 * kSec : 70 * kSec;
  }
  return w;
}

std::vector<Packet> packets_of(const Workload& w) {
  std::vector<Packet> out;
  for (std::size_t i = 0; i < w.frames.size(); ++i) {
    Packet p;
    p.data = Bytes(w.frames[i]);
    p.orig_len = static_cast<std::uint32_t>(w.frames[i].size());
    p.ts_ns = w.ts[i];
    p.frame = i + 1;
    p.link_type = linktype::kEthernet;
    out.push_back(p);
  }
  return out;
}

std::vector<std::string> one_table(const std::vector<Packet>& packets, const SessionOptions& opt) {
  EventLog log;
  {
    ProtocolStage stage(ProtocolOptions{}, &log, &log);
    SessionTable table(opt, &stage);
    DecodedPacket d;
    for (const Packet& p : packets) {
      decode(p, d);
      table.process(d);
    }
    table.finish();
  }
  return log.events;
}

std::vector<std::string> sharded(const std::vector<Packet>& packets, const SessionOptions& opt, unsigned workers) {
  EventLog log;
  {
    cli::ShardedSessions s(workers, opt, true, cli::ShardedOutputs{&log, &log, &EventLog::wants});
    for (const Packet& p : packets) s.add(p);
    s.finish();
  }
  return log.events;
}

void expect_same(const std::vector<std::string>& want, const std::vector<std::string>& got, unsigned workers) {
  ASSERT_EQ(got.size(), want.size()) << workers << " workers";
  for (std::size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got[i], want[i]) << "event " << i << " of " << want.size() << ", " << workers << " workers";
  }
}

TEST(ShardedSessions, SameEventsInTheSameOrderAsOneTable) {
  const Workload w = make_workload(7);
  const std::vector<Packet> packets = packets_of(w);
  ASSERT_GT(packets.size(), 4u * 4096u) << "the workload must span several batches";
  const std::vector<std::string> want = one_table(packets, {});
  // The workload makes what it must: records of every kind, bulk timeouts.
  std::size_t ends = 0, dns = 0, http = 0, pkts = 0;
  for (const std::string& e : want) {
    ends += e.rfind("end ", 0) == 0;
    dns += e.rfind("dns ", 0) == 0;
    http += e.rfind("http ", 0) == 0;
    pkts += e.rfind("pkt ", 0) == 0;
  }
  EXPECT_GT(ends, 5000u);
  EXPECT_GT(dns, 500u);
  EXPECT_GT(http, 500u);
  EXPECT_GT(pkts, 100u);
  for (unsigned workers : {1u, 2u, 3u, 5u}) expect_same(want, sharded(packets, {}, workers), workers);
}

TEST(ShardedSessions, SessionsEndingAtOnePacketComeOutInEndOrder) {
  // One table alone: ends at one packet are ordered by idle clock, then the
  // frame that set it, across protocol classes (not class by class).
  const Workload w = make_workload(11);
  const std::vector<Packet> packets = packets_of(w);
  struct Ends final : SessionObserver {
    void on_session_end(const SessionRecord& r) override { recs.push_back(r); }
    std::vector<SessionRecord> recs;
  } ends;
  SessionTable table({}, &ends);
  DecodedPacket d;
  std::size_t checked = 0;
  for (const Packet& p : packets) {
    const std::size_t before = ends.recs.size();
    decode(p, d);
    table.process(d);
    for (std::size_t i = before + 1; i < ends.recs.size(); ++i) {
      const SessionRecord& a = ends.recs[i - 1];
      const SessionRecord& b = ends.recs[i];
      if (!(a.flags & session_flag::kTimedOut) && !(b.flags & session_flag::kTimedOut)) continue;
      ++checked;
      EXPECT_TRUE(a.end_order() < b.end_order()) << a.uid_view() << " before " << b.uid_view();
    }
  }
  EXPECT_GT(checked, 1000u);
}

TEST(ShardedSessions, CapsSplitAcrossWorkersStillNumberEverySessionOnce) {
  // With a live-session cap that binds, shards evict differently (each has
  // 1/N of the cap), but every session still ends exactly once, numbered
  // 0..n-1 in start order.
  const Workload w = make_workload(3);
  const std::vector<Packet> packets = packets_of(w);
  SessionOptions opt;
  opt.max_sessions = 64;
  for (unsigned workers : {2u, 4u}) {
    std::vector<std::uint64_t> idx;
    for (const std::string& e : sharded(packets, opt, workers)) {
      if (e.rfind("end ", 0) != 0) continue;
      const std::size_t at = e.find(" #") + 2;
      idx.push_back(std::stoull(e.substr(at, e.find(' ', at) - at)));
    }
    ASSERT_GT(idx.size(), 5000u);
    std::sort(idx.begin(), idx.end());
    for (std::size_t i = 0; i < idx.size(); ++i) ASSERT_EQ(idx[i], i) << workers << " workers";
  }
}

}  // namespace
}  // namespace pcapscope

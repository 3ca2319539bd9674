// Protocol parsers, part 1: DNS, HTTP/1.x and SSH, fed directly through
// their parser APIs (no session or protocol stage around them).
//
// "corpus" variants replay application data harvested from the Ethernet pcaps
// of the shared corpus (bench_support.h): DNS messages as UDP carried them,
// and TCP sessions' streams cut into the chunks reassembly delivered, both
// directions interleaved as they arrived. "synthetic" variants use messages
// built here (tools/packet_builder.h), a fixed mix that does not change with
// the corpus. Items are messages (HTTP: requests and responses completed;
// SSH: banners and unencrypted packets), bytes what was fed.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include <string>
#include <utility>
#include <vector>

#include "bench_support.h"
#include "proto/dns/dns_message.h"
#include "proto/http/http_parser.h"
#include "proto/ssh/ssh_parser.h"
#include "tools/packet_builder.h"

namespace pcapscope::bench {
namespace {

// ------------------------------------------------------------------ DNS

const std::vector<std::vector<std::uint8_t>>& synthetic_dns() {
  static const std::vector<std::vector<std::uint8_t>> msgs = [] {
    auto bytes = [](std::initializer_list<std::uint8_t> b) { return tools::Frame(b); };
    std::vector<std::vector<std::uint8_t>> m;
    m.push_back(tools::dns_message(0x1234, "www.example.com", 1, false));
    m.push_back(tools::dns_message(0x1234, "www.example.com", 1, true,
                                   {bytes({93, 184, 216, 34}), bytes({93, 184, 216, 35}), bytes({93, 184, 216, 36}),
                                    bytes({93, 184, 216, 37})}));
    m.push_back(tools::dns_message(0x4321, "mail.example.org", 28, false));
    m.push_back(tools::dns_message(0x4321, "mail.example.org", 28, true,
                                   {tools::Frame(16, 0x20), tools::Frame(16, 0x21)}));
    m.push_back(tools::dns_message(0x7777, "_dmarc.example.net", 16, true,
                                   {tools::dns_txt_rdata("v=DMARC1; p=reject; rua=mailto:dmarc@example.net")}));
    return m;
  }();
  return msgs;
}

void run_dns(benchmark::State& state, const std::vector<std::vector<std::uint8_t>>& msgs) {
  std::uint64_t bytes = 0;
  for (const auto& m : msgs) bytes += m.size();
  proto::dns::DnsMessage parsed;
  std::uint64_t ok = 0, records = 0;
  for (auto _ : state) {
    for (const auto& m : msgs) {
      ok += proto::dns::parse_message(m, parsed).ok();
      records += parsed.answers().size();
    }
  }
  benchmark::DoNotOptimize(records);
  state.counters["ok"] = static_cast<double>(ok) / static_cast<double>(state.iterations() * msgs.size());
  set_rates(state, msgs.size(), bytes);
}

void BM_ProtoDns(benchmark::State& state, bool corpus) {
  if (!corpus) {
    run_dns(state, synthetic_dns());
  } else if (const ProtoCorpus* c = proto_corpus(state)) {
    run_dns(state, c->dns);
  }
}

// ------------------------------------------------------------------ HTTP

const std::vector<StreamSession>& synthetic_http() {
  static const std::vector<StreamSession> sessions = [] {
    std::vector<std::pair<bool, std::string>> msgs;
    for (int i = 0; i < 8; ++i) {
      msgs.emplace_back(true, fmt::format("GET /static/app/{}.js?v=3 HTTP/1.1\r\nHost: www.example.com\r\n"
                                          "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 "
                                          "Firefox/120.0\r\nAccept: */*\r\nAccept-Language: en-US,en;q=0.5\r\n"
                                          "Accept-Encoding: gzip, deflate\r\nReferer: https://www.example.com/\r\n"
                                          "Cookie: session=abcdef0123456789; theme=dark\r\nConnection: keep-alive\r\n\r\n",
                                          i));
      const std::string body(i % 2 ? 6000 : 900, 'x');
      if (i == 5) {
        msgs.emplace_back(false, fmt::format("HTTP/1.1 200 OK\r\nContent-Type: application/javascript\r\n"
                                             "Transfer-Encoding: chunked\r\nServer: nginx\r\n\r\n{:x}\r\n{}\r\n{:x}\r\n{}\r\n0\r\n\r\n",
                                             body.size(), body, body.size(), body));
      } else {
        msgs.emplace_back(false, fmt::format("HTTP/1.1 200 OK\r\nDate: Mon, 27 Nov 2023 10:00:00 GMT\r\nServer: nginx\r\n"
                                             "Content-Type: application/javascript\r\nContent-Length: {}\r\n"
                                             "Cache-Control: max-age=3600\r\nConnection: keep-alive\r\n\r\n{}",
                                             body.size(), body));
      }
    }
    return std::vector<StreamSession>{make_stream_session(msgs)};
  }();
  return sessions;
}

void run_http(benchmark::State& state, const std::vector<StreamSession>& sessions) {
  std::uint64_t messages = 0, transactions = 0, problems = 0;
  for (auto _ : state) {
    messages = transactions = problems = 0;
    for (const StreamSession& s : sessions) {
      proto::http::HttpConversation conv([&](const proto::http::Transaction&) { ++transactions; },
                                         [&](std::string_view) { ++problems; });
      conv.set_message_hooks([&](const proto::http::Message&) { ++messages; },
                             [&](const proto::http::Message&) { ++messages; });
      replay(s, [&](bool orig, std::uint64_t offset, Bytes data) {
        if (conv.switched() != proto::http::HttpConversation::Switch::kNone) return;
        (orig ? conv.requests() : conv.responses()).on_data(offset, data);
      });
      conv.on_close();
    }
  }
  state.counters["transactions"] = static_cast<double>(transactions);
  state.counters["problems"] = static_cast<double>(problems);
  set_rates(state, messages, total_bytes(sessions));
}

void BM_ProtoHttp(benchmark::State& state, bool corpus) {
  if (!corpus) {
    run_http(state, synthetic_http());
  } else if (const ProtoCorpus* c = proto_corpus(state)) {
    run_http(state, c->http);
  }
}

// ------------------------------------------------------------------ SSH

const std::vector<StreamSession>& synthetic_ssh() {
  static const std::vector<StreamSession> sessions = [] {
    const std::string newkeys = tools::ssh_packet(std::string(1, '\x15'));
    const std::string ecdh_init = tools::ssh_packet(std::string(1, '\x1e') + std::string(4 + 32, '\x07'));
    const std::string ecdh_reply = tools::ssh_packet(std::string(1, '\x1f') + std::string(4 + 51 + 4 + 32 + 4 + 83, '\x09'));
    std::vector<std::pair<bool, std::string>> msgs = {
        {false, "SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5\r\n"},
        {true, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"},
        {false, tools::ssh_packet(tools::ssh_kexinit("0123456789abcdef", true))},
        {true, tools::ssh_packet(tools::ssh_kexinit("fedcba9876543210", false))},
        {true, ecdh_init},
        {false, ecdh_reply + newkeys},
        {true, newkeys},
    };
    // Encrypted traffic after NEWKEYS: only its sizes are recorded.
    for (int i = 0; i < 12; ++i) msgs.emplace_back(i % 2 == 0, std::string(i < 6 ? 64 : 1400, '\x5a'));
    return std::vector<StreamSession>{make_stream_session(msgs)};
  }();
  return sessions;
}

void run_ssh(benchmark::State& state, const std::vector<StreamSession>& sessions) {
  std::uint64_t messages = 0, kexinits = 0;
  for (auto _ : state) {
    messages = kexinits = 0;
    for (const StreamSession& s : sessions) {
      proto::ssh::SshParser client(false), server(true);
      replay(s, [&](bool orig, std::uint64_t offset, Bytes data) { (orig ? client : server).on_data(offset, data); });
      for (const proto::ssh::SshParser* p : {&client, &server}) {
        messages += p->banner_seen() + p->packets();
        kexinits += p->kexinit().has_value();
      }
    }
  }
  state.counters["kexinits"] = static_cast<double>(kexinits);
  set_rates(state, messages, total_bytes(sessions));
}

void BM_ProtoSsh(benchmark::State& state, bool corpus) {
  if (!corpus) {
    run_ssh(state, synthetic_ssh());
  } else if (const ProtoCorpus* c = proto_corpus(state)) {
    run_ssh(state, c->ssh);
  }
}

BENCHMARK_CAPTURE(BM_ProtoDns, corpus, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ProtoDns, synthetic, false)->Unit(benchmark::kNanosecond);
BENCHMARK_CAPTURE(BM_ProtoHttp, corpus, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ProtoHttp, synthetic, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ProtoSsh, corpus, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ProtoSsh, synthetic, false)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace pcapscope::bench

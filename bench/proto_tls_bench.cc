// Protocol parsers, part 2: TLS (record framing and handshake reassembly,
// ClientHello / ServerHello parsing, JA3 / JA3S / JA4) and QUIC Initial
// packets (key derivation, header protection, AEAD, CRYPTO reassembly).
//
// BM_ProtoTlsRecords feeds both directions of TLS sessions to TlsRecordReader
// (items: handshake messages); "corpus_certificates" keeps the sessions whose
// server sent a cleartext Certificate message (TLS <= 1.2), the large
// handshake messages that span records and segments (the project frames
// certificates but does not parse X.509). The hello benchmarks parse bodies
// cut out of those sessions; the synthetic ones are a browser-like TLS 1.3
// ClientHello and ServerHello from tools/packet_builder.h, and a TLS 1.2
// full handshake with a two-certificate chain.
// BM_ProtoQuic replays the datagrams of corpus sessions opened by a QUIC
// Initial through QuicInitialSession (items: datagrams); BM_ProtoQuicKeys is
// the per-connection key derivation alone.
#include <benchmark/benchmark.h>

#include <string>
#include <utility>
#include <vector>

#include "bench_support.h"
#include "proto/quic/quic_initial.h"
#include "proto/tls/fingerprints.h"
#include "proto/tls/tls_hello.h"
#include "tools/packet_builder.h"

namespace pcapscope::bench {
namespace {

using ByteVec = std::vector<std::uint8_t>;

// Handshake message bodies of one record-framed stream, by type.
void collect_handshakes(const std::vector<std::uint8_t>& stream, std::vector<std::pair<std::uint8_t, ByteVec>>& out) {
  proto::tls::TlsRecordReader reader(
      [&](std::uint8_t type, Bytes body) { out.emplace_back(type, ByteVec(body.begin(), body.end())); });
  reader.on_data(0, Bytes(stream));
}

struct TlsData {
  std::vector<ByteVec> client_hellos, server_hellos;
  std::vector<StreamSession> with_certificates;
};

TlsData tls_data(const std::vector<StreamSession>& sessions) {
  TlsData d;
  for (const StreamSession& s : sessions) {
    std::vector<std::pair<std::uint8_t, ByteVec>> c, r;
    collect_handshakes(s.orig, c);
    collect_handshakes(s.resp, r);
    bool cert = false;
    for (auto& [type, body] : c)
      if (type == 1) d.client_hellos.push_back(std::move(body));
    for (auto& [type, body] : r) {
      if (type == 2) d.server_hellos.push_back(std::move(body));
      cert = cert || type == 11;
    }
    if (cert) d.with_certificates.push_back(s);
  }
  return d;
}

const TlsData* corpus_tls(benchmark::State& state) {
  const ProtoCorpus* c = proto_corpus(state);
  if (!c) return nullptr;
  static const TlsData d = tls_data(c->tls);
  return &d;
}

// The first record of BYTES: the builder's ServerHello comes with a TLS 1.3
// ChangeCipherSpec, after which the reader would not parse the certificates.
std::string first_record(const std::string& bytes) {
  const std::size_t len = (std::size_t{static_cast<std::uint8_t>(bytes[3])} << 8) | static_cast<std::uint8_t>(bytes[4]);
  return bytes.substr(0, 5 + len);
}

const std::vector<StreamSession>& synthetic_tls() {
  static const std::vector<StreamSession> sessions = [] {
    using tools::detail::tls_handshake;
    using tools::detail::tls_record;
    std::string chain;  // Certificate body: 3-byte list length, then each certificate with a 3-byte length
    for (std::size_t len : {1400u, 1100u}) {
      chain += std::string{'\0', static_cast<char>(len >> 8), static_cast<char>(len & 0xff)};
      chain += std::string(len, '\x30');
    }
    const std::size_t n = chain.size();
    chain = std::string{'\0', static_cast<char>(n >> 8), static_cast<char>(n & 0xff)} + chain;
    const std::string server_flight = tls_record(22, 0x0303, tls_handshake(11, chain)) +
                                      tls_record(22, 0x0303, tls_handshake(12, std::string(300, '\x11'))) +
                                      tls_record(22, 0x0303, tls_handshake(14, ""));
    std::vector<std::pair<bool, std::string>> msgs = {
        {true, tools::tls_client_hello("www.example.com", "client-random")},
        {false, first_record(tools::tls_server_hello("server-random", std::string(32, '\x42'))) + server_flight},
        {true, tls_record(22, 0x0303, tls_handshake(16, std::string(66, '\x04'))) + tls_record(20, 0x0303, "\x01") +
                   tls_record(22, 0x0303, std::string(40, '\x77'))},
        {false, tls_record(20, 0x0303, "\x01") + tls_record(22, 0x0303, std::string(40, '\x66'))},
    };
    for (int i = 0; i < 6; ++i) msgs.emplace_back(i % 2 == 0, tools::tls_app_data(std::string(i % 2 ? 4000 : 300, 'e')));
    return std::vector<StreamSession>{make_stream_session(msgs)};
  }();
  return sessions;
}

enum class Source { kSynthetic, kCorpus, kCorpusCertificates };

void BM_ProtoTlsRecords(benchmark::State& state, Source source) {
  const std::vector<StreamSession>* sessions = &synthetic_tls();
  if (source == Source::kCorpus) {
    const ProtoCorpus* c = proto_corpus(state);
    if (!c) return;
    sessions = &c->tls;
  } else if (source == Source::kCorpusCertificates) {
    const TlsData* d = corpus_tls(state);
    if (!d) return;
    sessions = &d->with_certificates;
  }
  std::uint64_t messages = 0, certificate_bytes = 0;
  for (auto _ : state) {
    messages = certificate_bytes = 0;
    for (const StreamSession& s : *sessions) {
      auto on_message = [&](std::uint8_t type, Bytes body) {
        ++messages;
        if (type == 11) certificate_bytes += body.size();
      };
      proto::tls::TlsRecordReader client(on_message), server(on_message);
      replay(s, [&](bool orig, std::uint64_t offset, Bytes data) { (orig ? client : server).on_data(offset, data); });
    }
  }
  state.counters["sessions"] = static_cast<double>(sessions->size());
  state.counters["certificate_bytes"] = static_cast<double>(certificate_bytes);
  set_rates(state, messages, total_bytes(*sessions));
}

// A hello body (after the record and handshake headers) from one builder record.
ByteVec hello_body(const std::string& record) {
  const std::size_t len = (std::size_t{static_cast<std::uint8_t>(record[6])} << 16) |
                          (std::size_t{static_cast<std::uint8_t>(record[7])} << 8) | static_cast<std::uint8_t>(record[8]);
  return ByteVec(record.begin() + 9, record.begin() + 9 + static_cast<std::ptrdiff_t>(len));
}

template <bool kClient>
void BM_ProtoTlsHello(benchmark::State& state, bool corpus) {
  static const std::vector<ByteVec> synthetic = {
      hello_body(kClient ? tools::tls_client_hello("www.example.com", "client-random")
                         : tools::tls_server_hello("server-random", std::string(32, '\x42')))};
  const std::vector<ByteVec>* hellos = &synthetic;
  if (corpus) {
    const TlsData* d = corpus_tls(state);
    if (!d) return;
    hellos = kClient ? &d->client_hellos : &d->server_hellos;
  }
  std::uint64_t bytes = 0, ok = 0;
  for (const ByteVec& h : *hellos) bytes += h.size();
  for (auto _ : state) {
    for (const ByteVec& h : *hellos) {
      if constexpr (kClient) {
        ok += proto::tls::parse_client_hello(h).ok();
      } else {
        ok += proto::tls::parse_server_hello(h).ok();
      }
    }
  }
  state.counters["ok"] = static_cast<double>(ok) / static_cast<double>(state.iterations() * hellos->size());
  set_rates(state, hellos->size(), bytes);
}
void BM_ProtoTlsClientHello(benchmark::State& state, bool corpus) { BM_ProtoTlsHello<true>(state, corpus); }
void BM_ProtoTlsServerHello(benchmark::State& state, bool corpus) { BM_ProtoTlsHello<false>(state, corpus); }

enum class Print { kJa3, kJa3s, kJa4 };

void BM_ProtoTlsFingerprint(benchmark::State& state, Print print) {
  const TlsData* d = corpus_tls(state);
  if (!d) return;
  static const auto parsed = [d] {
    std::pair<std::vector<proto::tls::ClientHello>, std::vector<proto::tls::ServerHello>> p;
    for (const ByteVec& h : d->client_hellos)
      if (auto ch = proto::tls::parse_client_hello(h)) p.first.push_back(std::move(ch.value()));
    for (const ByteVec& h : d->server_hellos)
      if (auto sh = proto::tls::parse_server_hello(h)) p.second.push_back(std::move(sh.value()));
    return p;
  }();
  const std::size_t n = print == Print::kJa3s ? parsed.second.size() : parsed.first.size();
  std::uint64_t bytes = 0;  // of the hello bodies the prints summarise
  for (const ByteVec& h : print == Print::kJa3s ? d->server_hellos : d->client_hellos) bytes += h.size();
  std::uint64_t chars = 0;
  for (auto _ : state) {
    if (print == Print::kJa3) {
      for (const auto& ch : parsed.first) chars += proto::tls::ja3(ch).md5.size();
    } else if (print == Print::kJa4) {
      for (const auto& ch : parsed.first) chars += proto::tls::ja4(ch).fingerprint.size();
    } else {
      for (const auto& sh : parsed.second) chars += proto::tls::ja3s(sh).md5.size();
    }
  }
  benchmark::DoNotOptimize(chars);
  set_rates(state, n, bytes);
}

// ------------------------------------------------------------------ QUIC

void BM_ProtoQuic(benchmark::State& state) {
  const ProtoCorpus* c = proto_corpus(state);
  if (!c) return;
  std::uint64_t datagrams = 0, bytes = 0;
  for (const auto& flow : c->quic) {
    datagrams += flow.size();
    for (const Datagram& d : flow) bytes += d.bytes.size();
  }
  std::uint64_t decrypted = 0, messages = 0;
  for (auto _ : state) {
    decrypted = messages = 0;
    for (const auto& flow : c->quic) {
      auto on_message = [&](std::uint8_t, Bytes) { ++messages; };
      proto::quic::QuicInitialSession session(on_message, on_message);
      for (const Datagram& d : flow) session.on_datagram(d.from_client, Bytes(d.bytes));
      decrypted += session.client().decrypted_packets() + session.server().decrypted_packets();
    }
  }
  state.counters["sessions"] = static_cast<double>(c->quic.size());
  state.counters["decrypted_packets"] = static_cast<double>(decrypted);
  state.counters["handshake_messages"] = static_cast<double>(messages);
  set_rates(state, datagrams, bytes);
}

void BM_ProtoQuicKeys(benchmark::State& state) {
  ByteVec dcid = {0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08};
  proto::quic::InitialKeys keys;
  std::uint64_t ok = 0;
  for (auto _ : state) {
    ++dcid[7];
    ok += proto::quic::derive_initial_keys(proto::quic::kVersion1, dcid, proto::quic::Side::kClient, keys);
    ok += proto::quic::derive_initial_keys(proto::quic::kVersion1, dcid, proto::quic::Side::kServer, keys);
  }
  if (ok != 2 * static_cast<std::uint64_t>(state.iterations())) state.SkipWithError("key derivation failed");
  set_rates(state, 1, dcid.size());  // items: connections (both directions' keys); bytes: the DCID
}

BENCHMARK_CAPTURE(BM_ProtoTlsRecords, synthetic, Source::kSynthetic)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ProtoTlsRecords, corpus, Source::kCorpus)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ProtoTlsRecords, corpus_certificates, Source::kCorpusCertificates)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ProtoTlsClientHello, synthetic, false)->Unit(benchmark::kNanosecond);
BENCHMARK_CAPTURE(BM_ProtoTlsClientHello, corpus, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ProtoTlsServerHello, synthetic, false)->Unit(benchmark::kNanosecond);
BENCHMARK_CAPTURE(BM_ProtoTlsServerHello, corpus, true)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ProtoTlsFingerprint, ja3, Print::kJa3)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ProtoTlsFingerprint, ja3s, Print::kJa3s)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_ProtoTlsFingerprint, ja4, Print::kJa4)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ProtoQuic)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ProtoQuicKeys)->Unit(benchmark::kNanosecond);

}  // namespace
}  // namespace pcapscope::bench

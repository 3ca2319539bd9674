// Writes the labelled incident capture `make demo` analyses: five days of a
// small office network (10.0.0.0/8) with one planted incident per detector
// amid benign traffic, written with pcapscope's own writer, and optionally a
// JSON list of what was planted so a check can compare `pcapscope analyze`
// against it.
//
// usage: pcapscope-make-incidents OUT.pcap|OUT.pcapng [--labels LABELS.json]
//
// Design choices:
// - Deterministic: one fixed-seed splitmix64 generator and our own range
//   helpers (std::uniform_*_distribution differ between standard libraries),
//   events built in any order and then sorted by time, stably, so frames that
//   share a microsecond keep the order they were built in.
// - Every incident clears its detector's default thresholds with margin, and
//   the benign traffic stays clear of all of them: fewer than 20 TLS sessions
//   per host pair at random times (a beacon needs 20 regular ones), a handful
//   of hosts per port (a horizontal scan needs 50), DNS names from many
//   registered domains, and the only plain HTTP is the planted credential.
// - Protocol content is real enough for the analyzers: DNS in wire format
//   with answers, TLS ClientHello/ServerHello with SNI, SSH banners and
//   KEXINIT. Logins carry the encrypted packet sizes Zeek's SSH heuristic
//   reads as success: after the client's first encrypted packet, the
//   server's SERVICE_ACCEPT sets a reference size and a server packet 16
//   bytes smaller is USERAUTH_SUCCESS (src/proto/ssh/ssh_analyzer.cc).
// - Binary payloads (exfiltration, beacon) start with a byte no classifier
//   claims, on ports no analyzer registers (9001, 7443), so they are neither
//   a service nor a port mismatch; the only mismatch is SSH on 443.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "packet_builder.h"
#include "pcapscope/writer.h"

using namespace pcapscope;
using namespace pcapscope::tools;

namespace {

constexpr std::uint64_t kSecond = 1000000;
constexpr std::uint64_t kMinute = 60 * kSecond;
constexpr std::uint64_t kHour = 60 * kMinute;
constexpr std::uint64_t kDay = 24 * kHour;
constexpr std::uint64_t kStart = 1700000000ULL * kSecond;  // 2023-11-14 22:13:20 UTC
constexpr std::uint64_t kSpan = 5 * kDay;

constexpr Mac kGatewayMac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

// Addresses of the story.
constexpr Ip4 kWorkstation{10, 0, 0, 23};
constexpr Ip4 kLaptop{10, 0, 0, 31};
constexpr Ip4 kResolver{10, 0, 0, 53};
constexpr Ip4 kSshServer{10, 0, 0, 22};
constexpr Ip4 kWebFront{10, 0, 0, 80};
constexpr Ip4 kScanner{10, 0, 0, 99};
constexpr Ip4 kDropHost{203, 0, 113, 66};
constexpr Ip4 kC2{198, 51, 100, 200};
constexpr Ip4 kOddSsh{203, 0, 113, 99};
constexpr Ip4 kWebServer{93, 184, 216, 34};
constexpr Ip4 kAdmin1{198, 51, 100, 7};
constexpr Ip4 kAdmin2{198, 51, 100, 8};
constexpr Ip4 kIntruder{192, 0, 2, 200};
constexpr Ip4 kNoSniHost{45, 77, 12, 9};  // TLS without SNI (cookbook)

constexpr std::uint16_t kExfilPort = 9001;
constexpr std::uint16_t kBeaconPort = 7443;

std::string ip_str(const Ip4& a) { return fmt::format("{}.{}.{}.{}", a[0], a[1], a[2], a[3]); }

// splitmix64: tiny, well mixed, and the same everywhere.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // In [lo, hi]; the modulo bias is irrelevant at these ranges.
  std::uint64_t range(std::uint64_t lo, std::uint64_t hi) { return lo + next() % (hi - lo + 1); }
  double unit() { return static_cast<double>(next() >> 11) / 9007199254740992.0; }
  std::string bytes(std::size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(next() & 0xff);
    return s;
  }
  // Random bytes whose first byte no content classifier claims (not a TLS
  // record type, not ASCII): the stream stays "unknown" rather than becoming
  // a service by accident.
  std::string opaque(std::size_t n) {
    std::string s = bytes(n);
    if (!s.empty()) s[0] = static_cast<char>(0x80 | (s[0] & 0x3f));
    return s;
  }
  std::string base32(std::size_t n) {
    static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    std::string s(n, 'a');
    for (char& c : s) c = kAlphabet[next() & 31];
    return s;
  }

 private:
  std::uint64_t s_;
};

struct Event {
  std::uint64_t ts_us;
  Frame frame;
};

bool internal(const Ip4& a) { return a[0] == 10; }

class Capture {
 public:
  explicit Capture(Rng& rng) : rng_(rng) {}

  void add(std::uint64_t ts_us, Frame f) { events_.push_back({ts_us, std::move(f)}); }

  // An IPv4 packet from SRC to DST; MACs follow the addresses (hosts inside
  // have their own, everything outside is behind the gateway).
  void ip(std::uint64_t ts_us, const Ip4& src, const Ip4& dst, std::uint8_t proto, const Frame& l4) {
    const Mac smac = internal(src) ? mac_of(src) : kGatewayMac;
    const Mac dmac = internal(dst) ? mac_of(dst) : kGatewayMac;
    add(ts_us, ipv4(ethernet(dmac, smac, 0x0800), src, dst, proto, l4, ++ip_id_, internal(src) ? 64 : 52));
  }

  // A fresh ephemeral port for HOST, never reused within the capture.
  std::uint16_t ephemeral() {
    port_ += static_cast<std::uint16_t>(rng_.range(1, 9));
    if (port_ > 60999) port_ = static_cast<std::uint16_t>(32768 + (port_ - 61000));
    return port_;
  }

  std::vector<Event>& events() { return events_; }
  Rng& rng() { return rng_; }

 private:
  static Mac mac_of(const Ip4& a) { return {0x02, 0x00, a[0], a[1], a[2], a[3]}; }
  Rng& rng_;
  std::vector<Event> events_;
  std::uint16_t ip_id_ = 0;
  std::uint16_t port_ = 40000;
};

// One TCP connection, built in time order: handshake, data both ways
// (segmented at 1448 bytes, acknowledged every second segment), FIN close.
class Tcp {
 public:
  Tcp(Capture& cap, const Ip4& client, const Ip4& server, std::uint16_t sport, std::uint64_t start_us,
      std::uint64_t rtt_us = 20000)
      : cap_(cap), c_(client), s_(server), cport_(cap.ephemeral()), sport_(sport), t_(start_us), rtt_(rtt_us) {
    cseq_ = static_cast<std::uint32_t>(cap.rng().next());
    sseq_ = static_cast<std::uint32_t>(cap.rng().next());
  }

  void handshake() {
    emit(true, tcpf::kSyn, {}, 0, true);
    emit(false, tcpf::kSyn | tcpf::kAck, {}, rtt_ / 2, true);
    ++cseq_;
    ++sseq_;
    emit(true, tcpf::kAck, {}, rtt_ / 2);
  }

  // DATA from one side; the first segment leaves after THINK_US.
  void send(bool from_client, std::string_view data, std::uint64_t think_us = 2000, std::uint64_t gap_us = 300) {
    std::uint64_t wait = think_us;
    int unacked = 0;
    while (!data.empty()) {
      const std::size_t n = std::min<std::size_t>(data.size(), 1448);
      const bool last = n == data.size();
      emit(from_client, static_cast<std::uint8_t>(tcpf::kAck | (last ? tcpf::kPsh : 0)), data.substr(0, n), wait);
      data.remove_prefix(n);
      wait = gap_us;
      if (++unacked == 2 || last) {
        emit(!from_client, tcpf::kAck, {}, last ? rtt_ / 2 : 40);
        unacked = 0;
      }
    }
  }

  void close(bool client_first = true) {
    emit(client_first, tcpf::kFin | tcpf::kAck, {}, 1000);
    emit(!client_first, tcpf::kFin | tcpf::kAck, {}, rtt_ / 2);
    emit(client_first, tcpf::kAck, {}, rtt_ / 2);
  }

  std::uint64_t now() const { return t_; }

 private:
  void emit(bool from_client, std::uint8_t flags, std::string_view payload, std::uint64_t after_us, bool mss = false) {
    t_ += after_us;
    std::uint32_t& mine = from_client ? cseq_ : sseq_;
    const std::uint32_t theirs = from_client ? sseq_ : cseq_;
    TcpSegment seg{from_client ? cport_ : sport_, from_client ? sport_ : cport_, mine,
                   (flags & tcpf::kAck) ? theirs : 0u, flags, static_cast<std::uint16_t>(from_client ? 64240 : 65160),
                   mss};
    cap_.ip(t_, from_client ? c_ : s_, from_client ? s_ : c_, 6, tcp(seg, payload));
    mine += static_cast<std::uint32_t>(payload.size());
    if (flags & tcpf::kFin) ++mine;
  }

  Capture& cap_;
  Ip4 c_, s_;
  std::uint16_t cport_, sport_;
  std::uint64_t t_, rtt_;
  std::uint32_t cseq_ = 0, sseq_ = 0;
};

// ---- benign traffic ----

struct Site {
  std::string_view name;
  Ip4 addr;
};

constexpr Site kTlsSites[] = {
    {"www.google.com", {142, 250, 74, 68}},         {"github.com", {140, 82, 121, 4}},
    {"en.wikipedia.org", {185, 15, 58, 224}},       {"login.microsoftonline.com", {20, 190, 160, 20}},
    {"www.bbc.co.uk", {151, 101, 0, 81}},           {"pypi.org", {151, 101, 64, 223}},
};

constexpr std::string_view kOtherNames[] = {
    "deb.debian.org",         "security.debian.org",      "fonts.gstatic.com",  "ocsp.digicert.com",
    "update.googleapis.com",  "clients4.google.com",      "api.github.com",     "slack.com",
    "zoom.us",                "outlook.office365.com",    "docs.python.org",    "files.pythonhosted.org",
    "registry.npmjs.org",     "www.mozilla.org",          "detectportal.firefox.com", "time.cloudflare.com",
    "ntp.ubuntu.com",         "www.example.com",          "cdn.jsdelivr.net",   "www.youtube.com",
    "i.ytimg.com",            "teams.microsoft.com",      "www.gov.uk",         "news.ycombinator.com",
};

void dns_lookup(Capture& cap, const Ip4& client, std::string_view name, std::uint64_t t, bool aaaa_too) {
  Rng& r = cap.rng();
  auto one = [&](std::uint16_t qtype, std::uint64_t at) {
    const std::uint16_t id = static_cast<std::uint16_t>(r.next());
    const std::uint16_t port = cap.ephemeral();
    Frame rdata;
    if (qtype == 1) {
      for (int i = 0; i < 4; ++i) rdata.push_back(static_cast<std::uint8_t>(r.range(1, 223)));
    } else {
      for (std::uint8_t b : {0x26, 0x06, 0x47, 0x00}) rdata.push_back(b);
      for (int i = 0; i < 12; ++i) rdata.push_back(static_cast<std::uint8_t>(r.next()));
    }
    cap.ip(at, client, kResolver, 17, udp(port, 53, dns_message(id, name, qtype, false)));
    cap.ip(at + r.range(800, 30000), kResolver, client, 17, udp(53, port, dns_message(id, name, qtype, true, {rdata})));
  };
  one(1, t);
  if (aaaa_too) one(28, t + 150);
}

void tls_session(Capture& cap, const Ip4& client, const Site& site, std::uint64_t t) {
  Rng& r = cap.rng();
  Tcp c(cap, client, site.addr, 443, t, r.range(8000, 60000));
  c.handshake();
  const std::string random = r.bytes(64);
  std::string sid(32, '\0');
  for (std::size_t i = 0; i < 32; ++i) sid[i] = random[(i + 13) % random.size()];
  c.send(true, tls_client_hello(site.name, random), 1000);
  // ServerHello, CCS, then the encrypted extensions/certificate/finished flight.
  c.send(false, tls_server_hello(r.bytes(48), sid) + tls_app_data(r.bytes(r.range(2200, 3800))), 3000);
  c.send(true, std::string("\x14\x03\x03\x00\x01\x01", 6) + tls_app_data(r.bytes(53)) +
                   tls_app_data(r.bytes(r.range(250, 700))), 2000);
  c.send(false, tls_app_data(r.bytes(r.range(600, 9000))), r.range(10000, 80000));
  c.close();
}

void benign(Capture& cap) {
  Rng& r = cap.rng();
  // TLS with a lookup before each session: 2..9 sessions per host pair.
  for (const Ip4& client : {kWorkstation, kLaptop}) {
    for (const Site& site : kTlsSites) {
      const std::uint64_t n = r.range(2, 9);
      for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t t = kStart + r.range(10 * kMinute, kSpan - kHour);
        dns_lookup(cap, client, site.name, t, r.range(0, 1) == 1);
        tls_session(cap, client, site, t + r.range(40000, 90000));
      }
    }
    for (std::string_view name : kOtherNames) {
      const std::uint64_t n = r.range(0, 3);
      for (std::uint64_t i = 0; i < n; ++i)
        dns_lookup(cap, client, name, kStart + r.range(kMinute, kSpan - kHour), r.range(0, 2) == 0);
    }
  }
  // NTP (mode 3 client, mode 4 server) a few times a day.
  const struct { Ip4 client, server; } kNtp[] = {{kWorkstation, {185, 125, 190, 56}}, {kLaptop, {162, 159, 200, 123}}};
  for (const auto& pair : kNtp) {
    const std::uint64_t n = r.range(10, 16);
    for (std::uint64_t i = 0; i < n; ++i) {
      const std::uint64_t t = kStart + r.range(kMinute, kSpan - kHour);
      const std::uint16_t port = cap.ephemeral();
      std::string q = r.bytes(48), a = r.bytes(48);
      q[0] = 0x23;  // LI 0, version 4, mode 3 (client)
      a[0] = 0x24;  // mode 4 (server)
      a[1] = 2;     // stratum 2
      cap.ip(t, pair.client, pair.server, 17, udp(port, 123, Frame(q.begin(), q.end())));
      cap.ip(t + r.range(5000, 40000), pair.server, pair.client, 17, udp(123, port, Frame(a.begin(), a.end())));
    }
  }
  // Pings: a few runs of four echoes.
  const struct { Ip4 from, to; } kPing[] = {{kLaptop, {1, 1, 1, 1}}, {kWorkstation, {10, 0, 0, 1}}, {kLaptop, kResolver}};
  for (const auto& pair : kPing) {
    for (int run = 0; run < 3; ++run) {
      const std::uint64_t t = kStart + r.range(kMinute, kSpan - kHour);
      const std::uint16_t id = static_cast<std::uint16_t>(r.next());
      for (std::uint16_t seq = 1; seq <= 4; ++seq) {
        const std::uint64_t at = t + (seq - 1) * kSecond + r.range(0, 3000);
        cap.ip(at, pair.from, pair.to, 1, icmp_echo(true, id, seq, "abcdefghijklmnopqrstuvwabcdefghi"));
        cap.ip(at + r.range(300, 25000), pair.to, pair.from, 1, icmp_echo(false, id, seq, "abcdefghijklmnopqrstuvwabcdefghi"));
      }
    }
  }
}

// ---- for the query cookbook (docs/queries.md) ----

// Not incidents a detector reports, but what an analyst asks about: a TLS
// session to a bare address without SNI, and a public name answered with an
// internal address (DNS rebinding, or a leaked internal zone).
void cookbook_extras(Capture& cap, std::uint64_t t) {
  tls_session(cap, kLaptop, Site{"", kNoSniHost}, t);
  const Ip4 internal_answer = {10, 0, 0, 5};
  const std::uint16_t port = cap.ephemeral();
  const std::string_view name = "intranet.rebind-example.net";
  cap.ip(t + 5 * kMinute, kWorkstation, kResolver, 17, udp(port, 53, dns_message(0x4242, name, 1, false)));
  cap.ip(t + 5 * kMinute + 12000, kResolver, kWorkstation, 17,
         udp(53, port, dns_message(0x4242, name, 1, true, {Frame(internal_answer.begin(), internal_answer.end())})));
}

// ---- the incidents ----

void exfiltration(Capture& cap, std::uint64_t t) {
  Rng& r = cap.rng();
  Tcp c(cap, kWorkstation, kDropHost, kExfilPort, t, 45000);
  c.handshake();
  c.send(true, r.opaque(64), 1000);  // a hello of the tool's own protocol
  c.send(false, r.opaque(32));
  // ~3 MB up in 20 bursts of 150 kB, a 1 kB acknowledgement of the tool's
  // own after each: ~20 kB down.
  for (int burst = 0; burst < 20; ++burst) {
    c.send(true, r.bytes(150000), 2000, 900);
    c.send(false, r.bytes(1000), 5000);
  }
  c.close();
}

void dns_tunnel(Capture& cap, std::uint64_t t) {
  Rng& r = cap.rng();
  for (int i = 0; i < 400; ++i) {
    // Irregular pacing, as a tunnel bursts and idles: short gaps mostly,
    // occasional second-long pauses (so the stream is no beacon either).
    t += r.unit() < 0.75 ? r.range(15000, 150000) : r.range(500000, 2000000);
    const std::string name = fmt::format("{}.{}.t.tunnel-c2.com", r.base32(r.range(50, 60)), i);
    const std::uint16_t id = static_cast<std::uint16_t>(r.next());
    const std::uint16_t port = cap.ephemeral();
    cap.ip(t, kWorkstation, kResolver, 17, udp(port, 53, dns_message(id, name, 16, false)));
    const std::string txt = r.base32(r.range(16, 220));
    cap.ip(t + r.range(20000, 90000), kResolver, kWorkstation, 17,
           udp(53, port, dns_message(id, name, 16, true, {dns_txt_rdata(txt)}, 0)));
  }
}

void syn_flood(Capture& cap, std::uint64_t t) {
  Rng& r = cap.rng();
  std::set<std::uint32_t> seen;
  std::vector<Ip4> sources;
  while (sources.size() < 500) {
    const std::uint32_t v = static_cast<std::uint32_t>(r.next() & 0x1ffff);  // 198.18.0.0/15
    if (v == 0 || (v & 0xff) == 0 || (v & 0xff) == 0xff || !seen.insert(v).second) continue;
    sources.push_back({198, static_cast<std::uint8_t>(18 + (v >> 16)), static_cast<std::uint8_t>(v >> 8),
                       static_cast<std::uint8_t>(v)});
  }
  for (const Ip4& src : sources) {
    const std::uint16_t p1 = static_cast<std::uint16_t>(r.range(1024, 32767));
    for (std::uint16_t sport : {p1, static_cast<std::uint16_t>(p1 + r.range(1, 20000))}) {
      const std::uint64_t at = t + r.range(0, 20 * kSecond);
      const std::uint32_t seq = static_cast<std::uint32_t>(r.next());
      cap.ip(at, src, kWebFront, 6, tcp({sport, 443, seq, 0, tcpf::kSyn, 64240, true}));
      cap.ip(at + r.range(50, 400), kWebFront, src, 6,
             tcp({443, sport, static_cast<std::uint32_t>(r.next()), seq + 1, tcpf::kSyn | tcpf::kAck, 65160, true}));
    }
  }
}

void port_scan(Capture& cap, std::uint64_t t) {
  Rng& r = cap.rng();
  std::vector<std::uint16_t> ports;
  for (std::uint16_t p = 1; p <= 1000; ++p)
    if (p != 443) ports.push_back(p);
  for (std::size_t i = ports.size() - 1; i > 0; --i) std::swap(ports[i], ports[r.range(0, i)]);  // nmap's order
  const std::uint16_t sport = 51234;  // nmap probes from one source port
  for (std::uint16_t p : ports) {
    t += r.range(6000, 12000);
    const std::uint32_t seq = static_cast<std::uint32_t>(r.next());
    cap.ip(t, kScanner, kWebFront, 6, tcp({sport, p, seq, 0, tcpf::kSyn, 1024, true}));
    cap.ip(t + r.range(100, 500), kWebFront, kScanner, 6, tcp({p, sport, 0, seq + 1, tcpf::kRst | tcpf::kAck, 0}));
  }
}

void beacon(Capture& cap, std::uint64_t t) {
  Rng& r = cap.rng();
  for (int i = 0; i < 48; ++i) {
    const std::uint64_t at = t + static_cast<std::uint64_t>(i) * 300 * kSecond + r.range(0, kSecond) ;  // +-0.5 s
    Tcp c(cap, kWorkstation, kC2, kBeaconPort, at, r.range(30000, 34000));
    c.handshake();
    c.send(true, r.opaque(512), 800);
    c.send(false, r.opaque(128), 3000);
    c.close();
  }
}

// An SSH connection: banners, KEXINIT both ways, and with LOGIN the key
// exchange, NEWKEYS and an encrypted session whose sizes read as a
// successful login.
void ssh_session(Capture& cap, const Ip4& client, const Ip4& server, std::uint16_t port, std::uint64_t t, bool login) {
  Rng& r = cap.rng();
  Tcp c(cap, client, server, port, t, r.range(20000, 90000));
  c.handshake();
  c.send(false, "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n", 3000);
  c.send(true, "SSH-2.0-OpenSSH_9.6\r\n", 1000);
  c.send(true, ssh_packet(ssh_kexinit(r.bytes(16), false)), 500);
  c.send(false, ssh_packet(ssh_kexinit(r.bytes(16), true)), 500);
  if (!login) {
    c.close();
    return;
  }
  c.send(true, ssh_packet("\x1e" + std::string("\x00\x00\x00\x20", 4) + r.bytes(32)), 2000);  // KEX_ECDH_INIT
  // KEX_ECDH_REPLY (RFC 5656 §4): ed25519 host key blob, the server's
  // ephemeral key, ed25519 signature blob.
  const std::string kEd = std::string("\x00\x00\x00\x0bssh-ed25519", 15);
  std::string reply = "\x1f" + std::string("\x00\x00\x00\x33", 4) + kEd + std::string("\x00\x00\x00\x20", 4) +
                      r.bytes(32) + std::string("\x00\x00\x00\x20", 4) + r.bytes(32) +
                      std::string("\x00\x00\x00\x53", 4) + kEd + std::string("\x00\x00\x00\x40", 4) + r.bytes(64);
  c.send(false, ssh_packet(reply) + ssh_packet("\x15"), 6000);                        // KEX_ECDH_REPLY, NEWKEYS
  c.send(true, ssh_packet("\x15"), 3000);                                             // NEWKEYS
  c.send(true, r.bytes(52), 500);        // SERVICE_REQUEST ssh-userauth
  c.send(false, r.bytes(52), 2000);      // SERVICE_ACCEPT: the reference size
  c.send(true, r.bytes(r.range(96, 140)), 400000);  // USERAUTH_REQUEST (password typed)
  c.send(false, r.bytes(36), 30000);     // USERAUTH_SUCCESS: 16 bytes smaller
  c.send(true, r.bytes(68), 2000);       // CHANNEL_OPEN
  c.send(false, r.bytes(52), 2000);      // CHANNEL_OPEN_CONFIRMATION
  c.send(true, r.bytes(388), 1000);      // pty-req, env, shell
  c.send(false, r.bytes(620), 5000);     // motd and prompt
  for (int i = 0; i < 12; ++i) {        // a short interactive session
    c.send(true, r.bytes(36), r.range(150000, 900000));
    c.send(false, r.bytes(r.range(36, 700)), r.range(2000, 40000));
  }
  c.send(true, r.bytes(52), 1000000);    // exit, channel close
  c.send(false, r.bytes(116), 2000);
  c.close();
}

void cleartext(Capture& cap, std::uint64_t t) {
  Tcp c(cap, kWorkstation, kWebServer, 80, t, 90000);
  c.handshake();
  c.send(true,
         "GET /admin/status HTTP/1.1\r\nHost: www.example.com\r\nAuthorization: Basic YWxpY2U6c2VjcmV0\r\n"
         "User-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n",
         1000);
  c.send(false,
         "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 21\r\nServer: ECS (dcb/7F83)\r\n\r\n"
         "status: all systems ok",
         20000);
  c.close();
}

// ---- labels ----

std::string json_str(std::string_view s) {
  std::string o = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') o.push_back('\\');
    o.push_back(ch);
  }
  return o + "\"";
}

struct Label {
  std::string_view detector;
  const Ip4* src;
  const Ip4* dst;
  int dst_port;  // -1: none
  std::string_view description;
};

std::string labels_json(const std::vector<Label>& labels) {
  std::string out = "[\n";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const Label& l = labels[i];
    out += fmt::format("  {{\"detector\": {}, \"src\": {}, \"dst\": {}, \"dst_port\": {}, \"description\": {}}}{}\n",
                       json_str(l.detector), l.src ? json_str(ip_str(*l.src)) : "null",
                       l.dst ? json_str(ip_str(*l.dst)) : "null",
                       l.dst_port < 0 ? std::string("null") : std::to_string(l.dst_port), json_str(l.description),
                       i + 1 < labels.size() ? "," : "");
  }
  return out + "]\n";
}

int usage() {
  fmt::print(stderr, "usage: pcapscope-make-incidents OUT.pcap|OUT.pcapng [--labels LABELS.json]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_path, labels_path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--labels" && i + 1 < argc) {
      labels_path = argv[++i];
    } else if (!a.empty() && a[0] != '-' && out_path.empty()) {
      out_path = argv[i];
    } else {
      return usage();
    }
  }
  if (out_path.empty()) return usage();

  Rng rng(0x5ca1ab1e0ddba11ULL);
  Capture cap(rng);
  benign(cap);
  // The incidents, at fixed times of the five days (after the benign
  // traffic, so adding benign traffic later moves no incident).
  ssh_session(cap, kAdmin1, kSshServer, 22, kStart + 9 * kHour, true);                 // day 0: first login ever
  beacon(cap, kStart + kDay + 2 * kHour);                                             // day 1, 4 hours
  exfiltration(cap, kStart + kDay + 10 * kHour);                                      // day 1
  ssh_session(cap, kAdmin1, kSshServer, 22, kStart + 2 * kDay + 8 * kHour, true);     // day 2
  cleartext(cap, kStart + 2 * kDay + 9 * kHour);                                      // day 2
  dns_tunnel(cap, kStart + 2 * kDay + 14 * kHour);                                    // day 2, ~2 minutes
  syn_flood(cap, kStart + 3 * kDay + 3 * kHour);                                      // day 3, 20 s
  port_scan(cap, kStart + 3 * kDay + 5 * kHour);                                      // day 3, ~10 s
  ssh_session(cap, kAdmin2, kSshServer, 22, kStart + 3 * kDay + 8 * kHour, true);     // day 3: same /24
  ssh_session(cap, kIntruder, kSshServer, 22, kStart + 4 * kDay + 11 * kHour, true);  // day 4: new /24
  ssh_session(cap, kWorkstation, kOddSsh, 443, kStart + 4 * kDay + 15 * kHour, false);  // day 4
  cookbook_extras(cap, kStart + 4 * kDay + 17 * kHour);                              // day 4

  std::vector<Event>& ev = cap.events();
  std::stable_sort(ev.begin(), ev.end(), [](const Event& a, const Event& b) { return a.ts_us < b.ts_us; });

  std::vector<Interface> itfs(1);
  itfs[0].link_type = linktype::kEthernet;
  itfs[0].snaplen = 262144;
  auto w = CaptureWriter::create(out_path, write_format_for_path(out_path), itfs, true);
  if (!w) {
    fmt::print(stderr, "pcapscope-make-incidents: {}: {}\n", out_path, w.error().message);
    return 2;
  }
  for (const Event& e : ev) {
    auto r = (*w)->write(frame_packet(e.frame, e.ts_us));
    if (!r) {
      fmt::print(stderr, "pcapscope-make-incidents: {}: {}\n", out_path, r.error().message);
      return 2;
    }
  }
  auto c = (*w)->close();
  if (!c) {
    fmt::print(stderr, "pcapscope-make-incidents: {}: {}\n", out_path, c.error().message);
    return 2;
  }

  if (!labels_path.empty()) {
    const std::vector<Label> labels = {
        {"exfiltration", &kWorkstation, &kDropHost, kExfilPort,
         "10.0.0.23 uploads ~3 MB to 203.0.113.66:9001 and receives ~20 kB (one session)"},
        {"dns_tunnel", &kWorkstation, &kResolver, 53,
         "400 TXT queries for random 50-60 character labels under tunnel-c2.com in ~2 minutes"},
        {"syn_flood", nullptr, &kWebFront, 443,
         "1000 SYNs from 500 sources in 198.18.0.0/15 within 20 s, answered by SYN-ACK, never completed"},
        {"port_scan", &kScanner, &kWebFront, -1, "SYN scan of TCP ports 1-1000 (not 443) in ~10 s, refused by RST"},
        {"beacon", &kWorkstation, &kC2, kBeaconPort,
         "48 connections every 300 s (+-0.5 s), 512 bytes up and 128 bytes down each"},
        {"ssh_new_network", &kIntruder, &kSshServer, 22,
         "successful SSH login from 192.0.2.0/24 after logins only from 198.51.100.0/24"},
        {"cleartext", &kWorkstation, &kWebServer, 80, "HTTP Basic credentials (alice) sent in clear text"},
        {"port_mismatch", &kWorkstation, &kOddSsh, 443, "SSH spoken on TCP port 443"},
    };
    std::FILE* f = std::fopen(labels_path.c_str(), "w");
    const std::string text = labels_json(labels);
    if (!f || std::fwrite(text.data(), 1, text.size(), f) != text.size() || std::fclose(f) != 0) {
      fmt::print(stderr, "pcapscope-make-incidents: {}: cannot write\n", labels_path);
      return 2;
    }
  }
  fmt::print("wrote {} packets to {}\n", ev.size(), out_path);
  return 0;
}

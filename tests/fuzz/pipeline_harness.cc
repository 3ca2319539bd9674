// Fuzz harnesses for the stages before the protocol parsers: capture
// reading, decoding, the session stage fed packet sequences, and the config
// parser (see pipeline_harness.h for input layouts and invariants).
#include "fuzz/pipeline_harness.h"

#include <sys/mman.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/sharded_sessions.h"
#include "config/config.h"
#include "config/settings.h"
#include "detect/engine.h"
#include "pcapscope/pcapscope.h"

namespace pcapscope::fuzz {

namespace {

[[noreturn]] void invariant(const char* what) {
  std::fprintf(stderr, "fuzz invariant failed: %s\n", what);
  __builtin_trap();
}

// The input as a file the production code opens by path: a memfd, so the
// real open/sniff/decompress path runs without touching the disk.
class MemFile {
 public:
  MemFile(const std::uint8_t* data, std::size_t size) : fd_(::memfd_create("pcapscope-fuzz", MFD_CLOEXEC)) {
    if (fd_ < 0) invariant("memfd_create");
    std::size_t off = 0;
    while (off < size) {
      const ssize_t n = ::write(fd_, data + off, size - off);
      if (n <= 0) invariant("memfd write");
      off += static_cast<std::size_t>(n);
    }
    path_ = "/proc/self/fd/" + std::to_string(fd_);
  }
  ~MemFile() { ::close(fd_); }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  int fd_;
  std::string path_;
};

bool one_line(const std::string& s) { return !s.empty() && s.find('\n') == std::string::npos; }

void check_decoded(const DecodedPacket& d) {
  const std::size_t size = d.data().size();
  if (d.layer_count == 0 || d.layer_count > DecodedPacket::kMaxLayers) invariant("layer count");
  for (std::size_t i = 0; i < d.layer_count; ++i) {
    const Layer& l = d.layers[i];
    if (l.offset > size || l.end > size || l.offset + l.header_len > size || l.end < l.offset)
      invariant("layer outside the packet");
  }
  if (d.payload_offset > size || d.payload_len > size - d.payload_offset) invariant("payload outside the packet");
}

// Every field of every protocol present, formatted: the detail view's work.
void touch_fields(const DecodedPacket& d, Summary& s, std::string& text) {
  summarize(d, s);
  for (std::size_t i = 0; i < d.layer_count; ++i) {
    for (const FieldDef& f : fields_of(d.layers[i].proto)) {
      for (unsigned occ = 0; occ < 3; ++occ) {
        const FieldValue v = get_field(d, f, occ);
        text.clear();
        append_value(text, f, v);
      }
    }
  }
}

// Every event of a session stage, rendered: sharded and single-table runs must agree.
class Events final : public SessionObserver, public ProtocolObserver {
 public:
  void on_session_end(const SessionRecord& r) override {
    out.push_back(fmt::format("end {} {} {} {} {} {}:{}>{}:{}/{} frames {}-{} pkts {}+{}", r.uid_view(), r.index,
                              r.history_view(), r.service, r.flags, r.orig_h.to_string(), r.orig_p,
                              r.resp_h.to_string(), r.resp_p, transport_name(r.proto), r.first_frame, r.last_frame,
                              r.orig_pkts, r.resp_pkts));
    ++ends;
    max_index = std::max(max_index, r.index);
    if (r.flags & (session_flag::kEvicted | session_flag::kReassemblyLimit)) capped = true;
  }
  void on_anomaly(const Packet&, std::string_view uid, std::string_view name) override {
    out.push_back(fmt::format("anomaly {} {}", uid, name));
  }
  void on_dns(const DnsLogRecord& r) override { out.push_back(fmt::format("dns {} {}", r.uid_view(), r.query)); }
  void on_http(const HttpLogRecord& r) override { out.push_back(fmt::format("http {} {}", r.uid_view(), r.uri)); }
  void on_ssl(const SslLogRecord& r) override {
    out.push_back(fmt::format("ssl {} {}", r.uid_view(), r.server_name));
  }
  void on_ssh(const SshLogRecord& r) override { out.push_back(fmt::format("ssh {} {}", r.uid_view(), r.client)); }
  void on_problem(std::string_view uid, std::string_view name) override {
    out.push_back(fmt::format("problem {} {}", uid, name));
  }
  std::vector<std::string> out;
  std::uint64_t ends = 0, max_index = 0;
  bool capped = false;
};

class NullAlerts final : public detect::AlertSink {
 public:
  void emit(detect::Alert a) override {
    if (a.message.empty() || a.message.find('\n') != std::string::npos) invariant("alert message not one line");
  }
};

// Capture time steps (see pipeline_harness.h).
std::int64_t step_ns(std::uint8_t code) {
  constexpr std::int64_t kSec = 1'000'000'000;
  switch (code) {
    case 250: return 61 * kSec;                   // past the UDP/ICMP timeout
    case 251: return 301 * kSec;                  // past the TCP timeout
    case 252: return -kSec;                       // one second back
    case 253: return 366LL * 86400 * kSec;        // a year forward
    case 254: return -366LL * 86400 * kSec;       // a year back
    case 255: return 5 * kSec + 1;                // past the close delay
    default: return static_cast<std::int64_t>(code) * 1'000'000;  // milliseconds
  }
}

}  // namespace

void fuzz_capture(const std::uint8_t* data, std::size_t size) {
  MemFile file(data, size);
  auto reader = CaptureReader::open(file.path());
  if (!reader) {
    if (!one_line(reader.error().message)) invariant("open error not one line");
    return;
  }
  Packet p;
  DecodedPacket d;
  std::uint64_t bytes = 0, flagged = 0;
  while ((*reader)->next(p)) {
    bytes += p.data.size();
    if (p.record_flags) ++flagged;
    if (p.orig_len < p.data.size() && !(p.record_flags & record_flag::kOrigLenUnderCaplen))
      invariant("origlen under caplen without its flag");
    decode(p, d);
    check_decoded(d);
  }
  const FileSummary& sum = (*reader)->summary();
  if (sum.record_anomalies != flagged) invariant("record anomalies counted differ from flagged packets");
  if (sum.data_bytes < bytes) invariant("more packet bytes than data");
  for (const DamagedRegion& dmg : sum.damaged)
    if (!one_line(dmg.reason) || dmg.offset > sum.data_bytes) invariant("damage region malformed");
}

void fuzz_decode(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return;
  Packet p;
  p.link_type = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
  p.data = Bytes(data + 2, size - 2);
  p.orig_len = static_cast<std::uint32_t>(size - 2);
  p.frame = 1;
  DecodedPacket d;
  decode(p, d);
  check_decoded(d);
  Summary s;
  std::string text;
  touch_fields(d, s, text);
  // The same bytes cut short by a snaplen must decode without reading past the cut.
  for (std::size_t cut : {std::size_t{14}, std::size_t{34}, (size - 2) / 2}) {
    if (cut >= size - 2) continue;
    std::vector<std::uint8_t> copy(data + 2, data + 2 + cut);  // exact size: ASan sees any overread
    Packet q = p;
    q.data = Bytes(copy.data(), copy.size());
    decode(q, d);
    check_decoded(d);
    touch_fields(d, s, text);
  }
}

void fuzz_sessions(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return;
  // Frames, kept alive for the whole run (packets are views).
  std::vector<std::vector<std::uint8_t>> frames;
  std::vector<Packet> packets;
  const auto link = static_cast<std::uint16_t>(data[0] << 8 | data[1]);
  const std::uint8_t caps = data[2];
  std::size_t at = 3;
  std::int64_t ts = 1'700'000'000'000'000'000;
  while (at + 3 <= size && packets.size() < 4096) {
    const std::size_t len = std::min<std::size_t>(data[at] << 8 | data[at + 1], size - at - 3);
    ts += step_ns(data[at + 2]);
    frames.emplace_back(data + at + 3, data + at + 3 + len);
    at += 3 + len;
    Packet p;
    p.link_type = link;
    p.ts_ns = ts;
    p.orig_len = static_cast<std::uint32_t>(len);
    p.frame = packets.size() + 1;
    packets.push_back(p);
  }
  for (std::size_t i = 0; i < packets.size(); ++i) packets[i].data = Bytes(frames[i].data(), frames[i].size());

  SessionOptions opt;
  // Small caps from the input, so eviction and reassembly limits run too.
  if (caps & 1) opt.max_sessions = 1 + (caps >> 4);
  if (caps & 2) opt.reassembly_memory = 64u << ((caps >> 4) & 7);
  if (caps & 4) opt.fragment_memory = 256u << ((caps >> 4) & 7);

  static const config::Config cfg = config::Config::defaults(config::all_settings());
  NullAlerts alerts;
  Events one;
  {
    detect::Engine engine(cfg, cfg.networks("internal"), cfg.networks("whitelist"), alerts, nullptr, nullptr, &one,
                          &one);
    ProtocolStage stage(ProtocolOptions{}, &engine, &engine);
    SessionTable table(opt, &stage);
    DecodedPacket d;
    for (const Packet& p : packets) {
      decode(p, d);
      table.process(d);
    }
    table.finish();
    engine.finish();
    if (table.live() != 0) invariant("live sessions after finish");
    if (one.ends != table.stats().sessions) invariant("a session did not end exactly once");
    if (one.ends && one.max_index + 1 != one.ends) invariant("session indices are not 0..n-1");
  }
  // Sharded by flow (caps split per worker, and the bounded list walk, may
  // legitimately change the order: compared only where neither can bind).
  // Bit 3 of the caps byte skips the comparison (threads cost most of an
  // execution; seeds have it clear).
  if (one.capped || one.ends > 64 || (caps & 0x0f)) return;
  Events two;
  {
    cli::ShardedSessions sharded(2, opt, true, cli::ShardedOutputs{&two, &two, {}});
    for (const Packet& p : packets) sharded.add(p);
    sharded.finish();
  }
  if (two.out != one.out) {
    std::size_t i = 0;
    while (i < one.out.size() && i < two.out.size() && one.out[i] == two.out[i]) ++i;
    if (std::getenv("PCAPSCOPE_FUZZ_DUMP")) {
      for (const auto& e : one.out) std::fprintf(stderr, "one: %s\n", e.c_str());
      for (const auto& e : two.out) std::fprintf(stderr, "two: %s\n", e.c_str());
    }
    std::fprintf(stderr, "event %zu of %zu/%zu: one table \"%s\", two workers \"%s\"\n", i, one.out.size(),
                 two.out.size(), i < one.out.size() ? one.out[i].c_str() : "(end)",
                 i < two.out.size() ? two.out[i].c_str() : "(end)");
    invariant("two workers gave other events than one table");
  }
}

void fuzz_config(const std::uint8_t* data, std::size_t size) {
  MemFile file(data, size);
  auto c = config::Config::load(config::all_settings(), file.path());
  if (!c) {
    if (!one_line(c.error().message)) invariant("config error not one line");
    return;
  }
  if (c->entries().size() != config::all_settings().size()) invariant("a setting is missing");
  // Every setting's value parses back from its own text.
  for (const auto& e : c->entries()) {
    auto again = config::parse_value(*e.spec, e.value->text);
    if (!again) invariant("a loaded value does not parse back from its text");
  }
}

}  // namespace pcapscope::fuzz

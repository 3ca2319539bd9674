// cleartext: credentials or whole sessions in clear text.
//
// What counts, and how sure we are:
// - HTTP Basic auth (high). The HTTP analyzer fills http.log's username and
//   password_seen from "Authorization: Basic" (as Zeek does; the password
//   itself is never kept). HTTP records of a session arrive before its end,
//   so they wait in a per-uid map and become one alert at the session's end.
// - FTP (21), POP3 (110), IMAP (143), SMTP (25, 587) logins (high). These
//   protocols have no analyzer of their own, so this detector asks for
//   packets and reads the first cleartext_scan_bytes of the client side of
//   sessions on those responder ports, line by line: USER/PASS (FTP, POP3),
//   LOGIN and AUTHENTICATE (IMAP), AUTH (SMTP, POP3). Only mechanisms that
//   send the secret itself count: PLAIN, LOGIN, XOAUTH2/OAUTHBEARER (a bearer
//   token is replayable); CRAM-MD5, DIGEST-MD5, SCRAM, NTLM, GSSAPI and APOP
//   are challenge-response and do not. Anonymous FTP (user anonymous or
//   ftp, as Zeek's ftp guest_ids) is not a credential. The user name comes
//   from the command or the decoded base64 (PLAIN: authcid; LOGIN: the first
//   reply). Retransmitted bytes are skipped by TCP sequence number; a lost
//   segment drops only the line it cut.
// - STARTTLS/STLS/AUTH TLS before any credentials ends the inspection: what
//   follows is TLS and the session is not cleartext. Credentials seen before
//   STARTTLS were still sent in clear and are reported.
// - Telnet (23) with client payload (medium): the whole interactive session,
//   keystrokes and passwords, is readable. Not when the protocol stage found
//   another protocol on the port (ssh, ssl ...: that is port_mismatch's).
// - Plain HTTP without credentials (info, cleartext_http_info): sessions whose
//   service has "http" but not "ssl" (a CONNECT tunnel carrying TLS is not
//   plain), aggregated per (server, port) and reported in finish() with the
//   session count; any port, so 8080 is reported as well as 80.
// A session gets at most one alert: credentials win over Telnet, which wins
// over the HTTP aggregate.
//
// Live state is per session, keyed by uid, in a map capped by
// cleartext_max_sessions and released at the session's end; the aggregate is
// capped by cleartext_max_servers. What the caps turn away is counted in stats().
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <map>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "detect/detectors.h"

namespace pcapscope::detect {

namespace {

using config::Kind;

constexpr config::SettingSpec kSettings[] = {
    {"cleartext_http_info", Kind::kBool, "true",
     "Report servers that serve plain HTTP (no credentials seen) as info, one alert per server port", {}},
    {"cleartext_scan_bytes", Kind::kBytes, "4K",
     "Client bytes per FTP/POP3/IMAP/SMTP session read for login commands", {}, 64, 1 << 20},
    {"cleartext_max_sessions", Kind::kCount, "10000",
     "Live sessions followed at once for login commands and HTTP credentials; more are not inspected (counted)",
     {}, 1},
    {"cleartext_max_servers", Kind::kCount, "10000",
     "Plain-HTTP server ports aggregated; sessions of further servers are dropped (counted)", {}, 1},
};

enum class Kind2 : std::uint8_t { kFtp, kTelnet, kPop3, kImap, kSmtp };

std::string_view kind_name(Kind2 k) {
  switch (k) {
    case Kind2::kFtp: return "ftp";
    case Kind2::kTelnet: return "telnet";
    case Kind2::kPop3: return "pop3";
    case Kind2::kImap: return "imap";
    case Kind2::kSmtp: return "smtp";
  }
  return "?";
}

std::string_view upper_name(Kind2 k) {
  switch (k) {
    case Kind2::kFtp: return "FTP";
    case Kind2::kTelnet: return "Telnet";
    case Kind2::kPop3: return "POP3";
    case Kind2::kImap: return "IMAP";
    case Kind2::kSmtp: return "SMTP";
  }
  return "?";
}

bool port_kind(std::uint16_t port, Kind2& out) {
  switch (port) {
    case 21: out = Kind2::kFtp; return true;
    case 23: out = Kind2::kTelnet; return true;
    case 110: out = Kind2::kPop3; return true;
    case 143: out = Kind2::kImap; return true;
    case 25:
    case 587: out = Kind2::kSmtp; return true;
    default: return false;
  }
}

char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (upper(a[i]) != upper(b[i])) return false;
  return true;
}

// Splits off the first space-separated word of S.
std::string_view next_word(std::string_view& s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  const std::size_t end = std::min(s.find(' '), s.size());
  const std::string_view w = s.substr(0, end);
  s.remove_prefix(end);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return w;
}

// Base64 (bounded, padding optional); false when it is not base64.
bool decode_base64(std::string_view in, std::string& out) {
  if (in.empty() || in.size() > 1024) return false;
  std::string padded(in);
  while (padded.size() % 4 != 0) padded += '=';
  std::array<unsigned char, 1024> buf{};
  const int n = EVP_DecodeBlock(buf.data(), reinterpret_cast<const unsigned char*>(padded.data()),
                                static_cast<int>(padded.size()));
  if (n < 0) return false;
  std::size_t len = static_cast<std::size_t>(n);
  for (std::size_t i = padded.size(); i > 0 && padded[i - 1] == '=' && len > 0; --i) --len;
  out.assign(reinterpret_cast<const char*>(buf.data()), len);
  return true;
}

// A user name as alerts show it: printable ASCII kept, other bytes as \xNN, at most 256 bytes read.
std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 256)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f && c != '\\') {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", u);
    }
  }
  return out;
}

// Lookups by the record's uid view without building a string.
struct StrHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// What the client side of one FTP/Telnet/POP3/IMAP/SMTP session showed so far.
struct Live {
  Kind2 kind = Kind2::kFtp;
  std::string line;
  std::uint64_t scanned = 0;
  std::uint32_t next_seq = 0;
  bool seq_known = false;
  bool stopped = false;      // scan limit reached or TLS began
  bool tls = false;          // STARTTLS/STLS/AUTH TLS before credentials
  enum class Await : std::uint8_t { kNone, kPlain, kLoginUser, kLoginPassword, kBearer } await = Await::kNone;
  std::string user;
  std::string mechanism;     // "USER/PASS", "LOGIN", "AUTH PLAIN" ...
  bool anonymous = false;
  std::uint32_t logins = 0;  // secrets sent
  std::int64_t cred_ns = 0;
  std::uint64_t cred_frame = 0;
  std::int64_t first_payload_ns = 0;
  std::uint64_t first_payload_frame = 0;
};

struct HttpCreds {
  std::string user;
  std::uint32_t requests = 0;
  std::int64_t ts_ns = 0;
  std::uint64_t frame = 0;
  ConnTuple id;
  std::vector<std::uint64_t> frames;
};

struct Server {
  IpAddress server;
  std::uint16_t port = 0;
  std::uint64_t sessions = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  IpAddress client;
  bool many_clients = false;
  std::vector<std::string> uids;
  std::vector<std::uint64_t> frames;
};

class Cleartext final : public Detector {
 public:
  explicit Cleartext(const DetectContext& ctx)
      : sink_(ctx.alerts),
        http_info_(ctx.config.flag("cleartext_http_info")),
        scan_bytes_(ctx.config.count("cleartext_scan_bytes")),
        max_sessions_(ctx.config.count("cleartext_max_sessions")),
        max_servers_(ctx.config.count("cleartext_max_servers")) {}

  std::string_view name() const override { return "cleartext"; }
  bool wants_packets() const override { return true; }

  bool wants_packet(const SessionRecord& rec, const DecodedPacket& pkt, bool from_orig) const override {
    Kind2 kind;
    return from_orig && rec.proto == Transport::kTcp && port_kind(rec.resp_p, kind) && !pkt.payload().empty();
  }

  void on_packet(const SessionRecord& rec, const DecodedPacket& pkt, bool from_orig) override {
    if (!wants_packet(rec, pkt, from_orig)) return;
    Kind2 kind = Kind2::kFtp;
    port_kind(rec.resp_p, kind);
    Bytes payload = pkt.payload();
    auto it = live_.find(rec.uid_view());
    if (it == live_.end()) {
      if (live_.size() >= max_sessions_) {
        ++untracked_;
        return;
      }
      it = live_.emplace(std::string(rec.uid_view()), Live{}).first;
      it->second.kind = kind;
      if (pkt.packet) {
        it->second.first_payload_ns = pkt.packet->ts_ns;
        it->second.first_payload_frame = pkt.packet->frame;
      }
    }
    Live& s = it->second;
    if (s.stopped || kind == Kind2::kTelnet) return;  // Telnet: payload is all we need to know
    if (!trim_retransmission(s, pkt, payload)) return;
    const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(payload.size(), scan_bytes_ - s.scanned));
    s.scanned += take;
    for (std::size_t i = 0; i < take && !s.stopped; ++i) {
      const char c = static_cast<char>(payload[i]);
      if (c == '\n') {
        std::string_view line(s.line);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        on_line(s, line, pkt);
        s.line.clear();
      } else if (s.line.size() < 1024) {
        s.line += c;
      }
    }
    if (s.scanned >= scan_bytes_) s.stopped = true;
  }

  void on_http(const HttpLogRecord& r) override {
    if (r.username.empty() && !r.password_seen) return;
    auto it = http_.find(r.uid_view());
    if (it == http_.end()) {
      if (http_.size() >= max_sessions_) {
        ++untracked_;
        return;
      }
      it = http_.emplace(std::string(r.uid_view()), HttpCreds{}).first;
      it->second.user = r.username;
      it->second.ts_ns = r.ts_ns;
      it->second.frame = r.frame;
      it->second.id = r.id;
    }
    HttpCreds& c = it->second;
    ++c.requests;
    if (c.frames.size() < kMaxEvidence && r.frame) c.frames.push_back(r.frame);
  }

  void on_session(const SessionRecord& rec) override {
    const std::string_view uid = rec.uid_view();
    if (auto h = http_.find(uid); h != http_.end()) {
      http_alert(h->second, uid, &rec);
      http_.erase(h);
      if (auto l = live_.find(uid); l != live_.end()) live_.erase(l);
      return;
    }
    if (auto l = live_.find(uid); l != live_.end()) {
      const bool alerted = session_alert(l->second, rec);
      live_.erase(l);
      if (alerted) return;
    }
    const std::string_view svc = rec.service;
    if (http_info_ && rec.proto == Transport::kTcp && svc.find("http") != std::string_view::npos &&
        svc.find("ssl") == std::string_view::npos) {
      aggregate(rec);
    }
  }

  void finish() override {
    // HTTP credentials whose session never ended (records fed without sessions).
    for (auto& [uid, c] : http_) http_alert(c, uid, nullptr);
    http_.clear();
    live_.clear();
    for (const auto& [key, s] : servers_) info_alert(s);
    servers_.clear();
  }

  std::string stats() const override {
    return fmt::format("{} credential and {} Telnet alerts, {} plain-HTTP server ports; {} sessions not inspected "
                       "at the cap; {} HTTP sessions dropped at the server cap",
                       credential_alerts_, telnet_alerts_, servers_total_, untracked_, servers_dropped_);
  }

 private:
  // Drops bytes already seen (retransmissions) by sequence number; false when nothing new is left.
  static bool trim_retransmission(Live& s, const DecodedPacket& pkt, Bytes& payload) {
    const Layer* tcp = nullptr;
    for (std::size_t i = pkt.layer_count; i > 0; --i) {
      if (pkt.layers[i - 1].proto == Proto::kTcp) {
        tcp = &pkt.layers[i - 1];
        break;
      }
    }
    const Bytes data = pkt.data();
    if (!tcp || tcp->header_len < 8 || tcp->offset + 8 > data.size()) return true;
    const std::uint8_t* p = data.data() + tcp->offset + 4;
    const std::uint32_t seq = (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
    const auto len = static_cast<std::uint32_t>(payload.size());
    if (s.seq_known) {
      const auto ahead = static_cast<std::int32_t>(seq - s.next_seq);
      if (ahead < 0) {
        const auto behind = static_cast<std::uint32_t>(-static_cast<std::int64_t>(ahead));
        if (behind >= len) return false;  // all of it seen before
        payload = payload.subspan(behind);
      } else if (ahead > 0) {
        s.line.clear();  // a segment is missing: the line it cut is lost
      }
    }
    s.seq_known = true;
    s.next_seq = seq + len;
    return true;
  }

  void credentials(Live& s, const DecodedPacket& pkt, std::string_view mechanism) {
    if (s.logins++ == 0) {
      s.mechanism = std::string(mechanism);
      if (pkt.packet) {
        s.cred_ns = pkt.packet->ts_ns;
        s.cred_frame = pkt.packet->frame;
      }
    }
  }

  void user_from_plain(Live& s, std::string_view b64) {
    std::string d;
    if (!decode_base64(b64, d)) return;
    // authzid NUL authcid NUL passwd (RFC 4616): the authcid is who logs in.
    const std::size_t a = d.find('\0');
    if (a == std::string::npos) return;
    const std::size_t b = d.find('\0', a + 1);
    s.user = d.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
  }

  void user_from_bearer(Live& s, std::string_view b64) {
    std::string d;
    if (!decode_base64(b64, d)) return;
    // XOAUTH2: "user=<name>\x01auth=Bearer ..."
    if (d.rfind("user=", 0) == 0) s.user = d.substr(5, d.find('\x01') == std::string::npos ? std::string::npos
                                                                                           : d.find('\x01') - 5);
  }

  // AUTH / AUTHENTICATE with mechanism MECH and optional initial response ARG.
  void auth(Live& s, std::string_view mech, std::string_view arg, const DecodedPacket& pkt) {
    const std::string_view initial = next_word(arg);
    const bool has_initial = !initial.empty() && initial != "=";
    if (iequals(mech, "PLAIN")) {
      if (has_initial) {
        user_from_plain(s, initial);
        credentials(s, pkt, "AUTH PLAIN");
      } else {
        s.await = Live::Await::kPlain;
      }
    } else if (iequals(mech, "LOGIN")) {
      if (has_initial) {
        std::string u;
        if (decode_base64(initial, u)) s.user = u;
        s.await = Live::Await::kLoginPassword;
      } else {
        s.await = Live::Await::kLoginUser;
      }
    } else if (iequals(mech, "XOAUTH2") || iequals(mech, "OAUTHBEARER")) {
      if (has_initial) {
        user_from_bearer(s, initial);
        credentials(s, pkt, "AUTH XOAUTH2");
      } else {
        s.await = Live::Await::kBearer;
      }
    } else if (iequals(mech, "TLS") || iequals(mech, "SSL")) {
      if (s.logins == 0) s.tls = true;  // FTP AUTH TLS (RFC 4217)
      s.stopped = true;
    }
    // Challenge-response mechanisms: nothing replayable in the stream.
  }

  void on_line(Live& s, std::string_view line, const DecodedPacket& pkt) {
    if (s.await != Live::Await::kNone) {
      const Live::Await a = s.await;
      s.await = Live::Await::kNone;
      if (line == "*") return;  // the client cancelled the exchange
      switch (a) {
        case Live::Await::kPlain:
          user_from_plain(s, line);
          credentials(s, pkt, "AUTH PLAIN");
          return;
        case Live::Await::kLoginUser: {
          std::string u;
          if (decode_base64(line, u)) s.user = u;
          s.await = Live::Await::kLoginPassword;
          return;
        }
        case Live::Await::kLoginPassword: credentials(s, pkt, "AUTH LOGIN"); return;
        case Live::Await::kBearer:
          user_from_bearer(s, line);
          credentials(s, pkt, "AUTH XOAUTH2");
          return;
        case Live::Await::kNone: break;
      }
    }
    std::string_view rest = line;
    if (s.kind == Kind2::kImap) next_word(rest);  // the tag
    const std::string_view cmd = next_word(rest);
    switch (s.kind) {
      case Kind2::kFtp:
      case Kind2::kPop3:
        if (iequals(cmd, "USER")) {
          s.user = std::string(rest.substr(0, 256));
          s.anonymous = s.kind == Kind2::kFtp && (iequals(rest, "anonymous") || iequals(rest, "ftp"));
        } else if (iequals(cmd, "PASS")) {
          if (!s.anonymous) credentials(s, pkt, "USER/PASS");
        } else if (iequals(cmd, "STLS") && s.kind == Kind2::kPop3) {
          if (s.logins == 0) s.tls = true;
          s.stopped = true;
        } else if (iequals(cmd, "AUTH")) {
          const std::string_view mech = next_word(rest);
          auth(s, mech, rest, pkt);
        }
        return;
      case Kind2::kImap:
        if (iequals(cmd, "LOGIN")) {
          std::string_view u = next_word(rest);
          if (u.size() >= 2 && u.front() == '"' && u.back() == '"') u = u.substr(1, u.size() - 2);
          s.user = std::string(u.substr(0, 256));
          credentials(s, pkt, "LOGIN");
        } else if (iequals(cmd, "AUTHENTICATE")) {
          const std::string_view mech = next_word(rest);
          auth(s, mech, rest, pkt);
        } else if (iequals(cmd, "STARTTLS")) {
          if (s.logins == 0) s.tls = true;
          s.stopped = true;
        }
        return;
      case Kind2::kSmtp:
        if (iequals(cmd, "AUTH")) {
          const std::string_view mech = next_word(rest);
          auth(s, mech, rest, pkt);
        } else if (iequals(cmd, "STARTTLS")) {
          if (s.logins == 0) s.tls = true;
          s.stopped = true;
        } else if (iequals(cmd, "DATA") || iequals(cmd, "BDAT")) {
          s.stopped = true;  // the message follows: no commands to read there
        }
        return;
      case Kind2::kTelnet: return;
    }
  }

  // One alert for a session's credentials or Telnet use; false when there is nothing to say.
  bool session_alert(const Live& s, const SessionRecord& rec) {
    const std::string_view svc = rec.service;
    if (s.logins > 0) {
      Alert a = base(rec, Severity::kHigh);
      a.ts_ns = a.last_ns = s.cred_ns ? s.cred_ns : rec.ts_ns;
      a.add_frame(s.cred_frame);
      a.value = s.logins;
      a.threshold = 1;
      const std::string user = printable(s.user);
      a.message = fmt::format("{} sent {} credentials{} in clear text to {}:{} ({}; {} login{} >= 1)",
                              rec.orig_h.to_string(), upper_name(s.kind),
                              user.empty() ? std::string() : fmt::format(" for user \"{}\"", user),
                              rec.resp_h.to_string(), rec.resp_p, s.mechanism, s.logins, s.logins == 1 ? "" : "s");
      if (!user.empty()) a.extra.push_back({"user", user});
      a.extra.push_back({"protocol", std::string(kind_name(s.kind))});
      a.extra.push_back({"mechanism", s.mechanism});
      ++credential_alerts_;
      sink_.emit(std::move(a));
      return true;
    }
    if (s.kind == Kind2::kTelnet && svc.empty()) {
      Alert a = base(rec, Severity::kMedium);
      a.add_frame(s.first_payload_frame);
      a.value = static_cast<double>(rec.orig_bytes);
      a.threshold = 1;
      a.message = fmt::format("{} used Telnet in clear text with {}:{} ({} bytes typed >= 1)", rec.orig_h.to_string(),
                              rec.resp_h.to_string(), rec.resp_p, rec.orig_bytes);
      a.extra.push_back({"protocol", std::string("telnet")});
      ++telnet_alerts_;
      sink_.emit(std::move(a));
      return true;
    }
    return false;
  }

  Alert base(const SessionRecord& rec, Severity sev) const {
    Alert a;
    a.detector = "cleartext";
    a.severity = sev;
    a.ts_ns = rec.ts_ns;
    a.last_ns = rec.last_ns;
    a.src = rec.orig_h;
    a.dst = rec.resp_h;
    a.dst_port = rec.resp_p;
    a.proto = rec.proto;
    a.add_uid(rec.uid_view());
    a.add_frame(rec.first_frame);
    return a;
  }

  void http_alert(const HttpCreds& c, std::string_view uid, const SessionRecord* rec) {
    Alert a;
    a.detector = "cleartext";
    a.severity = Severity::kHigh;
    a.ts_ns = c.ts_ns;
    a.last_ns = rec ? std::max(rec->last_ns, c.ts_ns) : c.ts_ns;
    a.src = c.id.orig_h;
    a.dst = c.id.resp_h;
    a.dst_port = c.id.resp_p;
    a.proto = Transport::kTcp;
    a.add_uid(uid);
    for (std::uint64_t f : c.frames) a.add_frame(f);
    a.value = c.requests;
    a.threshold = 1;
    const std::string user = printable(c.user);
    a.message = fmt::format("{} sent HTTP Basic credentials for user \"{}\" in clear text to {}:{} ({} request{} >= 1)",
                            c.id.orig_h.to_string(), user, c.id.resp_h.to_string(), c.id.resp_p, c.requests,
                            c.requests == 1 ? "" : "s");
    a.extra.push_back({"user", user});
    a.extra.push_back({"protocol", std::string("http")});
    ++credential_alerts_;
    sink_.emit(std::move(a));
  }

  void aggregate(const SessionRecord& rec) {
    auto key = std::make_tuple(rec.resp_h.bytes, rec.resp_h.v6, rec.resp_p);
    auto it = servers_.find(key);
    if (it == servers_.end()) {
      if (servers_.size() >= max_servers_) {
        ++servers_dropped_;
        return;
      }
      Server s;
      s.server = rec.resp_h;
      s.port = rec.resp_p;
      s.first_ns = rec.ts_ns;
      s.last_ns = rec.last_ns;
      s.client = rec.orig_h;
      it = servers_.emplace(key, std::move(s)).first;
      ++servers_total_;
    }
    Server& s = it->second;
    ++s.sessions;
    s.first_ns = std::min(s.first_ns, rec.ts_ns);
    s.last_ns = std::max(s.last_ns, rec.last_ns);
    if (!(s.client == rec.orig_h)) s.many_clients = true;
    if (s.uids.size() < kMaxEvidence) {
      s.uids.emplace_back(rec.uid_view());
      if (rec.first_frame) s.frames.push_back(rec.first_frame);
    }
  }

  void info_alert(const Server& s) {
    Alert a;
    a.detector = "cleartext";
    a.severity = Severity::kInfo;
    a.ts_ns = s.first_ns;
    a.last_ns = s.last_ns;
    if (!s.many_clients) a.src = s.client;
    a.dst = s.server;
    a.dst_port = s.port;
    a.proto = Transport::kTcp;
    for (const std::string& u : s.uids) a.add_uid(u);
    a.uid_count = s.sessions;
    for (std::uint64_t f : s.frames) a.add_frame(f);
    a.value = static_cast<double>(s.sessions);
    a.threshold = 1;
    a.message = fmt::format("plain HTTP (unencrypted) to {}:{} in {} session{} (>= 1)", s.server.to_string(), s.port,
                            s.sessions, s.sessions == 1 ? "" : "s");
    a.extra.push_back({"protocol", std::string("http")});
    a.extra.push_back({"sessions", static_cast<std::int64_t>(s.sessions)});
    sink_.emit(std::move(a));
  }

  AlertSink& sink_;
  const bool http_info_;
  const std::uint64_t scan_bytes_, max_sessions_, max_servers_;
  std::unordered_map<std::string, Live, StrHash, std::equal_to<>> live_;
  std::unordered_map<std::string, HttpCreds, StrHash, std::equal_to<>> http_;
  std::map<std::tuple<std::array<std::uint8_t, 16>, bool, std::uint16_t>, Server> servers_;
  std::uint64_t credential_alerts_ = 0, telnet_alerts_ = 0, servers_total_ = 0, untracked_ = 0, servers_dropped_ = 0;
};

}  // namespace

std::span<const config::SettingSpec> cleartext_settings() { return kSettings; }

std::unique_ptr<Detector> make_cleartext_detector(const DetectContext& ctx) {
  return std::make_unique<Cleartext>(ctx);
}

}  // namespace pcapscope::detect

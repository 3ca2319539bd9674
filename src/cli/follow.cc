// `pcapscope follow FILE... (--uid U | --index N | --tuple "A:P B:P")`: one
// session's conversation, reassembled.
//
// Text views (--ascii, --hex) interleave both sides in the order their bytes
// were delivered, as Wireshark's Follow TCP Stream does: originator chunks
// flush left, responder chunks indented by a tab, each headed by its length,
// gaps marked. --raw writes the bytes themselves: to stdout, or with -o DIR
// one file per direction named as tcpflow names them, so the two compare
// byte for byte (tcpflow leaves gaps as holes that read as zeros; so do we,
// and each gap is also reported on stderr). UDP sessions follow datagram by
// datagram.
#include <CLI/CLI.hpp>
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/selection.h"
#include "cli/session_options.h"
#include "output/packet_printer.h"
#include "pcapscope/decode.h"
#include "pcapscope/session.h"

namespace pcapscope::cli {
namespace {

struct FollowOptions {
  std::vector<std::string> files;
  std::string uid, tuple;
  std::optional<std::uint64_t> index;
  std::string side = "both";
  bool ascii = false, hex = false, raw = false;
  std::string out_dir;
  std::string bpf;  // capture filter (--bpf)
  ConfigFlags flags;
};

struct Endpoint {
  IpAddress addr;
  std::uint16_t port = 0;
};

Endpoint parse_endpoint(const std::string& text) {
  // "10.0.0.1:80" or "[2001:db8::1]:443"
  Endpoint e;
  std::string host, port;
  if (!text.empty() && text[0] == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
      die("--tuple", fmt::format("\"{}\": expected [IPV6]:PORT", text));
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos) die("--tuple", fmt::format("\"{}\": expected ADDRESS:PORT", text));
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (inet_pton(AF_INET, host.c_str(), e.addr.bytes.data()) == 1) {
    e.addr.v6 = false;
  } else if (inet_pton(AF_INET6, host.c_str(), e.addr.bytes.data()) == 1) {
    e.addr.v6 = true;
  } else {
    die("--tuple", fmt::format("\"{}\" is not an IPv4 or IPv6 address", host));
  }
  char* end = nullptr;
  const unsigned long p = std::strtoul(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p > 65535) die("--tuple", fmt::format("\"{}\" is not a port number", port));
  e.port = static_cast<std::uint16_t>(p);
  return e;
}

// One side's bytes going to the chosen view.
class Follower;
class SideReceiver final : public session::StreamReceiver {
 public:
  SideReceiver(Follower& f, bool orig) : f_(f), orig_(orig) {}
  void on_data(std::uint64_t offset, Bytes data, std::uint64_t frame) override;
  void on_gap(std::uint64_t offset, std::uint64_t len) override;

 private:
  Follower& f_;
  bool orig_;
};

class Follower final : public SessionObserver {
 public:
  explicit Follower(const FollowOptions& o) : opt_(o), rx_{{*this, true}, {*this, false}} {
    if (!o.tuple.empty()) {
      const auto space = o.tuple.find_first_of(" ,");
      if (space == std::string::npos) die("--tuple", "expected \"ADDRESS:PORT ADDRESS:PORT\"");
      const auto second = o.tuple.find_first_not_of(" ,", space);
      if (second == std::string::npos) die("--tuple", "expected \"ADDRESS:PORT ADDRESS:PORT\"");
      a_ = parse_endpoint(o.tuple.substr(0, space));
      b_ = parse_endpoint(o.tuple.substr(second));
    }
  }

  bool matches(const SessionRecord& r) {
    if (done_) return false;
    if (chosen_) return r.index == chosen_index_;
    bool m = false;
    if (!opt_.uid.empty()) m = r.uid_view() == opt_.uid;
    else if (opt_.index) m = r.index == *opt_.index;
    else m = same(r.orig_h, r.orig_p, a_, b_, r) || same(r.orig_h, r.orig_p, b_, a_, r);
    if (m) {
      chosen_ = true;
      chosen_index_ = r.index;
      record_ = r;
      header();
    }
    return m;
  }

  session::StreamReceiver* stream_receiver(const SessionRecord& r, bool orig) override {
    if (!matches(r) || !wants(orig)) return nullptr;
    return &rx_[orig ? 0 : 1];
  }
  void on_datagram(const SessionRecord& r, bool from_orig, Bytes payload, const Packet& pkt) override {
    if (!matches(r) || !wants(from_orig)) return;
    chunk(from_orig, payload, pkt.frame);
  }
  void on_session_end(const SessionRecord& r) override {
    // A session without payload (a refused SYN, ICMP) is matched only here.
    if (!chosen_ && matches(r)) empty_ = true;
    if (chosen_ && r.index == chosen_index_) {
      record_ = r;
      done_ = true;
    }
  }

  void chunk(bool orig, Bytes data, std::uint64_t frame) {
    (void)frame;
    const std::size_t side = orig ? 0 : 1;
    if (opt_.raw) {
      if (fd_[0] >= 0 || fd_[1] >= 0) {
        write_at(side, offset_[side], data);
      } else {
        Stdout::write({reinterpret_cast<const char*>(data.data()), data.size()});
      }
      offset_[side] += data.size();
      return;
    }
    out_.clear();
    const char* indent = orig ? "" : "\t";
    fmt::format_to(std::back_inserter(out_), "{}{}\n", indent, data.size());
    if (opt_.hex) {
      std::string dump;
      append_hex_dump(dump, data);
      std::size_t pos = 0;
      while (pos < dump.size()) {
        const auto nl = dump.find('\n', pos);
        const auto end = nl == std::string::npos ? dump.size() : nl + 1;
        out_ += indent;
        out_.append(dump, pos, end - pos);
        pos = end;
      }
    } else {
      out_ += indent;
      for (std::uint8_t c : data) {
        if (c == '\n') {
          out_ += '\n';
          out_ += indent;
        } else {
          out_ += (std::isprint(c) || c == '\t' || c == '\r') ? static_cast<char>(c) : '.';
        }
      }
      out_ += '\n';
    }
    offset_[side] += data.size();
    Stdout::write(out_);
  }
  void gap(bool orig, std::uint64_t offset, std::uint64_t len) {
    const std::size_t side = orig ? 0 : 1;
    gaps_ += len;
    fmt::print(stderr, "pcapscope: follow: {} bytes missing from the {} at stream offset {}\n", len,
               orig ? "originator" : "responder", offset);
    if (opt_.raw) {
      offset_[side] = offset + len;  // files keep a hole there; stdout just skips
      return;
    }
    Stdout::write(fmt::format("{}[{} bytes missing]\n", orig ? "" : "\t", len));
    offset_[side] = offset + len;
  }

  void finish() {
    if (!chosen_) {
      std::string what = !opt_.uid.empty() ? "uid " + opt_.uid
                         : opt_.index     ? fmt::format("index {}", *opt_.index)
                                          : "tuple " + opt_.tuple;
      die("follow", fmt::format("no session with {} in the input", what));
    }
    for (int fd : fd_) {
      if (fd >= 0 && ::close(fd) != 0) die(opt_.out_dir, std::strerror(errno));
    }
    if (empty_) {
      fmt::print(stderr, "pcapscope: follow: session {} carried no payload ({} {}, history {})\n", record_.uid_view(),
                 transport_name(record_.proto), conn_state_name(record_.conn_state),
                 record_.history[0] ? record_.history_view() : "-");
    }
    if (!opt_.raw) Stdout::write("===================================================================\n");
  }

 private:
  bool wants(bool orig) const { return opt_.side == "both" || (opt_.side == "orig") == orig; }

  static bool same(const IpAddress& h, std::uint16_t p, const Endpoint& x, const Endpoint& y, const SessionRecord& r) {
    return h == x.addr && p == x.port && r.resp_h == y.addr && r.resp_p == y.port;
  }

  static std::string tcpflow_name(const IpAddress& a, std::uint16_t ap, const IpAddress& b, std::uint16_t bp) {
    auto host = [](const IpAddress& x) {
      if (x.v6) return x.to_string();
      return fmt::format("{:03}.{:03}.{:03}.{:03}", x.bytes[0], x.bytes[1], x.bytes[2], x.bytes[3]);
    };
    return fmt::format("{}.{:05}-{}.{:05}", host(a), ap, host(b), bp);
  }

  void header() {
    if (opt_.raw) {
      if (opt_.out_dir.empty()) return;
      std::error_code ec;
      std::filesystem::create_directories(opt_.out_dir, ec);
      if (ec) die(opt_.out_dir, ec.message());
      for (int side = 0; side < 2; ++side) {
        if (!wants(side == 0)) continue;
        const std::string name = side == 0 ? tcpflow_name(record_.orig_h, record_.orig_p, record_.resp_h, record_.resp_p)
                                           : tcpflow_name(record_.resp_h, record_.resp_p, record_.orig_h, record_.orig_p);
        const std::string path = opt_.out_dir + "/" + name;
        for (const auto& in : opt_.files) {
          if (std::filesystem::exists(path) && std::filesystem::equivalent(in, path, ec))
            die(path, "refusing to overwrite an input file (evidence is read-only)");
        }
        fd_[side] = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd_[side] < 0) die(path, std::strerror(errno));
        fmt::print(stderr, "pcapscope: follow: writing the {} to {}\n", side == 0 ? "originator's bytes" : "responder's bytes",
                   path);
      }
      return;
    }
    const bool tcp = record_.proto == Transport::kTcp;
    auto ep = [](const IpAddress& a, std::uint16_t p) {
      return a.v6 ? fmt::format("[{}]:{}", a.to_string(), p) : fmt::format("{}:{}", a.to_string(), p);
    };
    Stdout::write(fmt::format(
        "===================================================================\nFollow: {},{}\nSession: {} (index {})\n"
        "Node 0: {}\nNode 1: {}\n",
        tcp ? "tcp" : transport_name(record_.proto), opt_.hex ? "hex" : "ascii", record_.uid_view(), record_.index,
        ep(record_.orig_h, record_.orig_p), ep(record_.resp_h, record_.resp_p)));
  }

  void write_at(std::size_t side, std::uint64_t offset, Bytes data) {
    const int fd = fd_[side];
    if (fd < 0) return;
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::pwrite(fd, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        die(opt_.out_dir, std::strerror(errno));
      }
      done += static_cast<std::size_t>(n);
    }
  }

  const FollowOptions& opt_;
  SideReceiver rx_[2];
  Endpoint a_, b_;
  bool chosen_ = false, done_ = false, empty_ = false;
  std::uint64_t chosen_index_ = 0;
  SessionRecord record_;
  std::uint64_t offset_[2] = {0, 0};
  std::uint64_t gaps_ = 0;
  int fd_[2] = {-1, -1};
  std::string out_;
};

void SideReceiver::on_data(std::uint64_t, Bytes data, std::uint64_t frame) { f_.chunk(orig_, data, frame); }
void SideReceiver::on_gap(std::uint64_t offset, std::uint64_t len) { f_.gap(orig_, offset, len); }

int run(const FollowOptions& opt) {
  const int selectors = !opt.uid.empty() + opt.index.has_value() + !opt.tuple.empty();
  if (selectors != 1) die("follow", "name exactly one session: --uid, --index or --tuple");
  const config::Config config = resolve_config(opt.flags);
  SessionOptions sopt = session_options_from_config(config);
  Timeline tl = open_inputs(opt.files, reading_options(config, opt.bpf));
  Follower follower(opt);
  SessionTable table(sopt, &follower);
  Packet pkt;
  DecodedPacket dp;
  while (tl.next(pkt)) {
    decode(pkt, dp);
    table.process(dp);
  }
  table.finish();
  follower.finish();
  Stdout::flush();
  report_damage(tl);
  return kExitOk;
}

}  // namespace

void add_follow_command(CLI::App& app, int& exit_code) {
  auto opt = std::make_shared<FollowOptions>();
  auto* cmd = app.add_subcommand("follow", "Show one session's reassembled conversation (TCP stream or UDP datagrams)");
  cmd->add_option("files", opt->files, "Capture files, merged into one timeline by time (- for stdin)")->required();
  cmd->add_option("--uid", opt->uid, "The session's uid (from `pcapscope sessions`)");
  cmd->add_option("--index", opt->index, "The session's 0-based index in start order");
  cmd->add_option("--tuple", opt->tuple, "\"ADDRESS:PORT ADDRESS:PORT\", either order ([IPV6]:PORT for IPv6)");
  cmd->add_option("--side", opt->side, "Which direction: orig, resp or both")->check(CLI::IsMember({"orig", "resp", "both"}));
  auto* a = cmd->add_flag("--ascii", opt->ascii, "Printable text, other bytes as '.' (default)");
  auto* h = cmd->add_flag("--hex", opt->hex, "Hex dump of each chunk");
  auto* r = cmd->add_flag("--raw", opt->raw, "The bytes themselves (stdout, or files with -o)");
  a->excludes(h)->excludes(r);
  h->excludes(r);
  cmd->add_option("-o,--out-dir", opt->out_dir, "With --raw: write each direction to a file here, named as tcpflow does");
  add_bpf_option(*cmd, opt->bpf);
  add_session_flags(*cmd, opt->flags);
  cmd->callback([opt, &exit_code] { exit_code = run(*opt); });
}

}  // namespace pcapscope::cli

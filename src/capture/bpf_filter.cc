#include "capture/bpf_filter.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

namespace pcapscope {
namespace {

// What a file says (LINKTYPE_*) is not always what libpcap compiles for
// (DLT_*): a few old types are numbered differently per platform. This is
// libpcap's own linktype_to_dlt(), which is not exported, for the values
// where the two differ on this platform; everything else is the same number.
int dlt_for_link_type(std::uint32_t link_type) {
  switch (link_type) {
    case 100: return DLT_ATM_RFC1483;
    case linktype::kRaw: return DLT_RAW;
    case 102: return DLT_SLIP_BSDOS;
    case 103: return DLT_PPP_BSDOS;
    case 246: return DLT_PFSYNC;
    case 258: return DLT_PKTAP;
    // OpenBSD's DLT_RAW in a savefile: libpcap elsewhere cannot compile for
    // it, but pcapscope decodes it as raw IP, so the filter follows the decoder.
    case linktype::kRawBsd14: return DLT_RAW;
    default: return static_cast<int>(link_type);
  }
}

// libpcap's largest snapshot; an unknown snaplen must not be 0, since a
// program's "accept" returns the snaplen and 0 would read as "reject".
constexpr std::uint32_t kDefaultSnaplen = 262144;

}  // namespace

struct BpfFilter::Program {
  std::uint32_t link_type = 0;
  bool compiled = false;
  bpf_program code{};
  std::string error;           // why it did not compile
  std::uint64_t rejected = 0;  // packets rejected because it did not compile

  ~Program() {
    if (compiled) pcap_freecode(&code);
  }
};

namespace {

bool is_address(std::string_view t) {
  if (auto slash = t.find('/'); slash != std::string_view::npos) t = t.substr(0, slash);
  char buf[64];
  if (t.empty() || t.size() >= sizeof buf) return false;
  std::memcpy(buf, t.data(), t.size());
  buf[t.size()] = '\0';
  unsigned char out[16];
  if (inet_pton(AF_INET, buf, out) == 1 || inet_pton(AF_INET6, buf, out) == 1) return true;
  // libpcap's partial networks (net 10, net 192.168) and MAC addresses (00:11:.., 0011.2233.4455, 00-11-..)
  return std::all_of(t.begin(), t.end(), [](char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) || c == '.' || c == ':' || c == '-';
  });
}

// libpcap resolves host names while compiling (getaddrinfo: possibly a DNS
// query). pcapscope sends nothing, so names are refused before libpcap sees
// them: the word after host, gateway, net, src or dst, and any dotted word
// that is not an address. Port and protocol names come from local files and
// are left alone.
std::optional<std::string> find_host_name(const std::string& expr) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < expr.size()) {
    while (i < expr.size() && (std::isspace(static_cast<unsigned char>(expr[i])) || expr[i] == '(' || expr[i] == ')' || expr[i] == '!')) ++i;
    const std::size_t start = i;
    while (i < expr.size() && !std::isspace(static_cast<unsigned char>(expr[i])) && expr[i] != '(' && expr[i] != ')') ++i;
    if (i > start) words.push_back(std::string_view(expr).substr(start, i - start));
  }
  static constexpr std::string_view kQualifiers[] = {"host", "gateway", "net", "src", "dst"};
  static constexpr std::string_view kKeywords[] = {"host", "net", "port", "portrange", "and", "or", "not", "src", "dst",
                                                   "ether", "ip", "ip6", "arp", "rarp", "tcp", "udp", "mask", "gateway"};
  for (std::size_t k = 0; k < words.size(); ++k) {
    const std::string_view w = words[k];
    const bool has_letter = std::any_of(w.begin(), w.end(), [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; });
    if (!has_letter || is_address(w)) continue;
    const bool after_qualifier =
        k > 0 && std::find(std::begin(kQualifiers), std::end(kQualifiers), words[k - 1]) != std::end(kQualifiers);
    const bool keyword = std::find(std::begin(kKeywords), std::end(kKeywords), w) != std::end(kKeywords);
    const bool dotted = w.find('.') != std::string_view::npos && w.find('[') == std::string_view::npos;
    if ((after_qualifier && !keyword) || dotted) return std::string(w);
  }
  return std::nullopt;
}

}  // namespace

Result<std::unique_ptr<BpfFilter>> BpfFilter::create(const std::string& expression) {
  if (auto name = find_host_name(expression)) {
    return Error{fmt::format("\"{}\" is a host name; pcapscope resolves no names (it would be a DNS query): write the "
                             "address",
                             *name)};
  }
  std::unique_ptr<BpfFilter> f(new BpfFilter(expression));
  Program& ethernet = f->compile(linktype::kEthernet, 0);
  if (!ethernet.compiled) return Error{ethernet.error};
  return f;
}

BpfFilter::BpfFilter(std::string expression) : expression_(std::move(expression)) {}
BpfFilter::~BpfFilter() = default;

BpfFilter::Program& BpfFilter::compile(std::uint32_t link_type, std::uint32_t snaplen) {
  for (auto& p : programs_)
    if (p->link_type == link_type) return *p;
  auto prog = std::make_unique<Program>();
  prog->link_type = link_type;
  pcap_t* dead = pcap_open_dead(dlt_for_link_type(link_type), static_cast<int>(snaplen ? snaplen : kDefaultSnaplen));
  if (dead == nullptr) {
    prog->error = "libpcap could not allocate a handle";
  } else {
    // The netmask is not known offline: "ip broadcast" is refused rather
    // than guessed (tcpdump -r guesses 0).
    if (pcap_compile(dead, &prog->code, expression_.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0)
      prog->compiled = true;
    else
      prog->error = pcap_geterr(dead);
    pcap_close(dead);
  }
  programs_.push_back(std::move(prog));
  return *programs_.back();
}

Result<void> BpfFilter::prepare(std::uint32_t link_type, std::uint32_t snaplen) {
  const Program& p = compile(link_type, snaplen);
  if (!p.compiled) return Error{fmt::format("link type {} ({}): {}", link_type, link_type_name(link_type), p.error)};
  return {};
}

void BpfFilter::select(std::uint32_t link_type, std::uint32_t snaplen) {
  last_ = &compile(link_type, snaplen);
  last_link_type_ = link_type;
}

bool BpfFilter::run(const Packet& p) {
  if (!last_->compiled) {
    ++last_->rejected;
    return false;
  }
  // The program reads caplen bytes at most; "len" in an expression is the
  // length on the wire, as in tcpdump. The timestamp is not looked at.
  pcap_pkthdr h{};
  h.caplen = static_cast<bpf_u_int32>(p.data.size());
  h.len = p.orig_len;
  return pcap_offline_filter(&last_->code, &h, p.data.data()) != 0;
}

std::vector<BpfSkippedLinkType> BpfFilter::skipped_link_types() const {
  std::vector<BpfSkippedLinkType> out;
  for (const auto& p : programs_)
    if (!p->compiled && p->rejected) out.push_back({p->link_type, p->error, p->rejected});
  return out;
}

}  // namespace pcapscope

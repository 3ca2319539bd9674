// A capture filter (tcpdump's expression language) compiled by libpcap and
// run over packets read from files, before anything decodes them.
//
// Only libpcap's offline entry points are used (pcap_open_dead, pcap_compile,
// pcap_offline_filter, pcap_freecode, pcap_geterr, pcap_close): nothing here
// can open a device or put a packet on a wire. tests/corpus/bpf_symbols.py
// checks the binary's imports stay that way.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pcapscope/capture.h"
#include "pcapscope/result.h"

namespace pcapscope {

class BpfFilter {
 public:
  // Compiles EXPRESSION once for Ethernet so that a syntax error is reported
  // before any input is read, whatever the inputs' link types. The error is
  // libpcap's message.
  static Result<std::unique_ptr<BpfFilter>> create(const std::string& expression);
  ~BpfFilter();
  BpfFilter(const BpfFilter&) = delete;
  BpfFilter& operator=(const BpfFilter&) = delete;

  // Compiles the program for LINK_TYPE now (it is kept for matches()).
  // Error: "link type N (NAME): libpcap's message".
  Result<void> prepare(std::uint32_t link_type, std::uint32_t snaplen);

  // Whether the program for the packet's link type accepts it; the program is
  // compiled on the first packet of a link type (SNAPLEN is its interface's,
  // 0 = unknown). A link type the expression cannot be compiled for rejects
  // its packets, which are counted in skipped_link_types().
  bool matches(const Packet& p, std::uint32_t snaplen) {
    if (last_ == nullptr || last_link_type_ != p.link_type) select(p.link_type, snaplen);
    return run(p);
  }

  const std::string& expression() const { return expression_; }
  std::vector<BpfSkippedLinkType> skipped_link_types() const;

 private:
  struct Program;
  explicit BpfFilter(std::string expression);
  void select(std::uint32_t link_type, std::uint32_t snaplen);
  Program& compile(std::uint32_t link_type, std::uint32_t snaplen);
  bool run(const Packet& p);

  std::string expression_;
  std::vector<std::unique_ptr<Program>> programs_;  // one per link type met; few
  Program* last_ = nullptr;                          // the program of the previous packet's link type
  std::uint32_t last_link_type_ = 0;
};

}  // namespace pcapscope

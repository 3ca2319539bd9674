// Addresses and networks as users write them: "10.0.0.0/8", "2001:db8::/32",
// "192.0.2.7". Used for PCAPSCOPE_INTERNAL, PCAPSCOPE_WHITELIST and anywhere
// a setting names networks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pcapscope/result.h"
#include "pcapscope/session.h"

namespace pcapscope {

// "10.0.0.1" or "2001:db8::1" (no brackets, no zone).
Result<IpAddress> parse_ip_address(std::string_view text);

struct Cidr {
  IpAddress network;  // host bits cleared
  std::uint8_t bits = 0;
  bool contains(const IpAddress& a) const;
  std::string to_string() const;  // "10.0.0.0/8"
};

// "10.0.0.0/8" or a bare address (a /32 or /128). Host bits set below the
// prefix are an error ("10.0.0.1/8": did you mean 10.0.0.0/8?), since that
// is usually a typo about which network was meant.
Result<Cidr> parse_cidr(std::string_view text);

// The covering network of A at BITS (a /24 for IPv4, a /48 for IPv6 ...).
Cidr prefix_of(const IpAddress& a, std::uint8_t bits);

// A set of networks. Lookups scan the list: sets here are a handful of
// entries given by people, and a scan over a few prefixes beats a trie.
class NetworkSet {
 public:
  // Comma- (or whitespace-) separated list; empty text is the empty set.
  static Result<NetworkSet> parse(std::string_view text);
  bool contains(const IpAddress& a) const;
  bool empty() const { return nets_.empty(); }
  const std::vector<Cidr>& networks() const { return nets_; }
  std::string to_string() const;  // canonical, comma-separated

 private:
  std::vector<Cidr> nets_;
};

}  // namespace pcapscope

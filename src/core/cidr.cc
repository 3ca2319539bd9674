#include "core/cidr.h"

#include <arpa/inet.h>

#include <cstring>

#include <fmt/format.h>

namespace pcapscope {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

void clear_host_bits(IpAddress& a, std::uint8_t bits) {
  const unsigned width = a.v6 ? 128 : 32;
  for (unsigned bit = bits; bit < width; ++bit) a.bytes[bit / 8] &= static_cast<std::uint8_t>(~(0x80u >> (bit % 8)));
}

}  // namespace

Result<IpAddress> parse_ip_address(std::string_view text) {
  text = trim(text);
  if (text.empty() || text.size() > 45) return Error{"not an IP address"};
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) return a;
  if (inet_pton(AF_INET6, buf, a.bytes.data()) == 1) {
    a.v6 = true;
    return a;
  }
  return Error{"not an IP address"};
}

bool Cidr::contains(const IpAddress& a) const {
  if (a.v6 != network.v6) return false;
  const unsigned full = bits / 8, rest = bits % 8;
  if (std::memcmp(a.bytes.data(), network.bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xff00u >> rest);
  return (a.bytes[full] & mask) == network.bytes[full];
}

std::string Cidr::to_string() const { return fmt::format("{}/{}", network.to_string(), bits); }

Cidr prefix_of(const IpAddress& a, std::uint8_t bits) {
  Cidr c{a, bits};
  const std::uint8_t width = a.v6 ? 128 : 32;
  if (c.bits > width) c.bits = width;
  clear_host_bits(c.network, c.bits);
  return c;
}

Result<Cidr> parse_cidr(std::string_view text) {
  text = trim(text);
  const auto slash = text.find('/');
  auto addr = parse_ip_address(text.substr(0, slash));
  if (!addr) return Error{fmt::format("\"{}\" is not an address or CIDR", text)};
  const unsigned width = addr->v6 ? 128 : 32;
  unsigned bits = width;
  if (slash != std::string_view::npos) {
    std::string_view b = text.substr(slash + 1);
    if (b.empty() || b.size() > 3) return Error{fmt::format("\"{}\" has a bad prefix length", text)};
    bits = 0;
    for (char ch : b) {
      if (ch < '0' || ch > '9') return Error{fmt::format("\"{}\" has a bad prefix length", text)};
      bits = bits * 10 + static_cast<unsigned>(ch - '0');
    }
    if (bits > width) return Error{fmt::format("\"{}\" has a prefix longer than the address", text)};
  }
  Cidr c = prefix_of(*addr, static_cast<std::uint8_t>(bits));
  if (!(c.network == *addr)) {
    return Error{fmt::format("\"{}\" has host bits set (did you mean {}?)", text, c.to_string())};
  }
  return c;
}

Result<NetworkSet> NetworkSet::parse(std::string_view text) {
  NetworkSet set;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = text.find_first_of(", \t\n", i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view item = text.substr(i, j - i);
    if (!item.empty()) {
      auto c = parse_cidr(item);
      if (!c) return c.error();
      set.nets_.push_back(*c);
    }
    i = j + 1;
  }
  return set;
}

bool NetworkSet::contains(const IpAddress& a) const {
  for (const Cidr& c : nets_) {
    if (c.contains(a)) return true;
  }
  return false;
}

std::string NetworkSet::to_string() const {
  std::string s;
  for (const Cidr& c : nets_) {
    if (!s.empty()) s += ",";
    s += c.to_string();
  }
  return s;
}

}  // namespace pcapscope

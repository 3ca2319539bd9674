// Community ID v1 flow hashing (https://github.com/corelight/community-id-spec).
//
// The string that Zeek (policy/protocols/conn/community-id-logging), Suricata
// (eve "community_id"), Arkime, Elastic and Wireshark attach to a flow, so that
// a session seen here can be joined to their records by string comparison.
//
// Hash input, all in network byte order (spec README, pycommunityid algo.py):
//   seed (2 bytes) . addr_lo (4|16) . addr_hi (4|16) . proto (1) . 0 (1)
//   [ . port_lo (2) . port_hi (2) ]                    -- only when the flow has ports
// where (addr_lo, port_lo) is the endpoint that sorts first: address bytes
// compared first, the port only when the addresses are equal. One-way ICMP
// messages are never reordered. The id is "1:" + base64(SHA-1(input)).
//
// Which protocols have ports is the caller's call (FlowEndpoints::has_ports):
// the spec hashes ports for TCP, UDP, SCTP, ICMP and ICMPv6 and omits them for
// every other IP protocol. pycommunityid refuses a port-less TCP/UDP/SCTP/ICMP
// tuple; the spec allows reporting "" for a flow one cannot describe, so a
// caller without the transport header (first fragment lost, truncated header)
// should log no id rather than pass has_ports = false for those protocols.
//
// ICMP "ports" (icmp_ports): port1 = type, port2 = the counterpart type for the
// request/reply pairs below, otherwise the code, and then the message is
// one-way (never reordered, so an error sent A->B and one sent B->A are two
// different ids). The table is chosen by the protocol number (1: ICMP, 58:
// ICMPv6), as pycommunityid does, not by the address family.
//   ICMP   : 8<->0 echo, 13<->14 timestamp, 15<->16 information,
//            10<->9 router solicitation/advertisement, 17<->18 address mask.
//   ICMPv6 : 128<->129 echo, 133<->134 router sol/adv, 135<->136 neighbour
//            sol/adv, 130<->131 MLD query/report, 139<->140 node information
//            (WRU), 144<->145 home agent address discovery.
// Differences checked at the sources:
//  - Zeek's ICMP4_counterpart / ICMP6_counterpart (src/packet_analysis/
//    protocol/icmp/ICMP.cc), which give conn.log id.orig_p / id.resp_p, are
//    the same table with the same one-way rule: no difference from
//    pycommunityid's communityid/icmp.py and icmp6.py, which this follows.
//  - The spec repository's small script community-id.py maps router
//    solicitation 10 -> 9 but not advertisement 9 -> 10, so it treats ICMP type
//    9 as one-way; pycommunityid (which the spec names the reference) and Zeek
//    pair them both ways, and so does this code.
//  - Zeek's own community_id_v1() built-in (src/communityid.bif) always hashes
//    ports (also for port-less protocols), and breaks ties between equal
//    addresses by comparing the ports as host integers after htons(), which on
//    little-endian hosts can order a flow between one address and itself
//    differently from the spec. Read from its source, not run; not reproduced.
//  - Zeek's conn.log never reorders: id.orig_p is the type seen from the
//    originator, id.resp_p its counterpart (or the code). Only the hash
//    canonicalizes.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace pcapscope::session {

struct FlowEndpoints {  // as seen in one packet (not canonicalized)
  std::array<std::uint8_t, 16> src{}, dst{};  // IPv4 in the first 4 bytes
  bool ipv6 = false;
  std::uint8_t proto = 0;               // IP protocol number
  std::uint16_t sport = 0, dport = 0;   // for ICMP/ICMPv6: sport = type, dport = code
  bool has_ports = true;                // false for protocols without ports
};

// Returns "1:<base64>" (30 characters); writes into OUT (reused capacity) to
// avoid allocation in hot paths. OUT is left empty only if libcrypto cannot
// provide SHA-1 (e.g. a provider configuration that forbids it).
// Thread-safe: each thread keeps its own digest context.
void community_id_v1(const FlowEndpoints& f, std::uint16_t seed, std::string& out);
std::string community_id_v1(const FlowEndpoints& f, std::uint16_t seed = 0);

// The ICMP counterpart mapping as Zeek and Community ID use it (echo request 8 <-> reply 0, etc., and ICMPv6
// 128<->129, ...): returns {port1, port2, one_way}. Exposed because the session table uses the same mapping
// for Zeek's id.orig_p/id.resp_p of ICMP sessions.
struct IcmpPorts {
  std::uint16_t port1, port2;
  bool one_way;
};
IcmpPorts icmp_ports(bool v6, std::uint8_t type, std::uint8_t code);

}  // namespace pcapscope::session

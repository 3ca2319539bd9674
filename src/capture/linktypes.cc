// Names for link types, formats and compressions, and timestamp arithmetic.
//
// Link type names are the ones Wireshark prints for the encapsulation
// (capinfos "File encapsulation"), with Wireshark's short names, so that our
// output lines up with what analysts already see in their tools.
#include <algorithm>
#include <array>
#include <limits>
#include <string>

#include "pcapscope/capture.h"

namespace pcapscope {
namespace {

struct LinkTypeName {
  std::uint32_t type;
  std::string_view name;
  std::string_view short_name;
};

// Sorted by type, for binary search.
constexpr LinkTypeName kLinkTypes[] = {
    {0, "NULL/Loopback", "null"},
    {1, "Ethernet", "ether"},
    {3, "Amateur Radio AX.25", "ax25"},
    {6, "Token Ring", "tr"},
    {7, "ARCNET", "arcnet"},
    {8, "SLIP", "slip"},
    {9, "PPP", "ppp"},
    {10, "FDDI", "fddi"},
    {12, "Raw IP", "rawip"},
    {14, "Raw IP", "rawip"},
    {50, "PPP", "ppp"},
    {51, "PPP-over-Ethernet session", "pppoes"},
    {100, "RFC 1483 ATM", "atm-rfc1483"},
    {101, "Raw IP", "rawip"},
    {104, "Cisco HDLC", "chdlc"},
    {105, "IEEE 802.11 Wireless LAN", "ieee-802-11"},
    {106, "Linux ATM CLIP", "linux-atm-clip"},
    {107, "Frame Relay", "frelay"},
    {108, "OpenBSD loopback", "loop"},
    {109, "OpenBSD enc(4) encapsulating interface", "enc"},
    {113, "Linux cooked-mode capture v1", "linux-sll"},
    {114, "Localtalk", "ltalk"},
    {117, "OpenBSD PF Firewall logs", "pflog"},
    {119, "IEEE 802.11 plus Prism II monitor mode radio header", "ieee-802-11-prism"},
    {122, "RFC 2625 IP-over-Fibre Channel", "ip-over-fc"},
    {123, "ATM PDUs", "atm-pdus"},
    {127, "IEEE 802.11 plus radiotap radio header", "ieee-802-11-radiotap"},
    {129, "Linux ARCNET", "arcnet_linux"},
    {130, "Juniper MLPPP", "juniper-mlppp"},
    {131, "Juniper MLFR", "juniper-mlfr"},
    {135, "Juniper ATM2", "juniper-atm2"},
    {137, "Juniper ATM1", "juniper-atm1"},
    {138, "Apple IP-over-IEEE 1394", "ap1394"},
    {139, "SS7 MTP2 with pseudoheader", "mtp2-with-phdr"},
    {140, "SS7 MTP2", "mtp2"},
    {141, "SS7 MTP3", "mtp3"},
    {142, "SS7 SCCP", "sccp"},
    {143, "Data Over Cable Service Interface Specification", "docsis"},
    {144, "IrDA", "irda"},
    {147, "USER 0", "user0"},
    {148, "USER 1", "user1"},
    {149, "USER 2", "user2"},
    {150, "USER 3", "user3"},
    {151, "USER 4", "user4"},
    {152, "USER 5", "user5"},
    {153, "USER 6", "user6"},
    {154, "USER 7", "user7"},
    {155, "USER 8", "user8"},
    {156, "USER 9", "user9"},
    {157, "USER 10", "user10"},
    {158, "USER 11", "user11"},
    {159, "USER 12", "user12"},
    {160, "USER 13", "user13"},
    {161, "USER 14", "user14"},
    {162, "USER 15", "user15"},
    {163, "IEEE 802.11 plus AVS radio header", "ieee-802-11-avs"},
    {165, "BACnet MS/TP", "bacnet-ms-tp"},
    {166, "PPP with Directional Info", "ppp-with-direction"},
    {167, "Juniper PPPoE", "juniper-pppoe"},
    {169, "GPRS LLC", "gprs-llc"},
    {177, "LAPD with Linux pseudo-header", "linux-lapd"},
    {178, "Juniper Ethernet", "juniper-ether"},
    {179, "Juniper PPP", "juniper-ppp"},
    {180, "Juniper Frame-Relay", "juniper-frelay"},
    {181, "Juniper C-HDLC", "juniper-chdlc"},
    {183, "Juniper Voice PIC", "juniper-vp"},
    {186, "USB packets with FreeBSD header", "usb-freebsd"},
    {187, "Bluetooth H4", "bluetooth-h4"},
    {189, "USB packets with Linux header", "usb-linux"},
    {192, "Per-Packet Information header", "ppi"},
    {195, "IEEE 802.15.4 Wireless PAN", "wpan"},
    {197, "Extensible Record Format", "erf"},
    {201, "Bluetooth H4 with linux header", "bluetooth-h4-linux"},
    {204, "PPP with Directional Info", "ppp-with-direction"},
    {205, "Cisco HDLC with Directional Info", "chdlc-with-direction"},
    {206, "Frame Relay with Directional Info", "frelay-with-direction"},
    {210, "FlexRay", "flexray"},
    {212, "Local Interconnect Network", "lin"},
    {215, "IEEE 802.15.4 Wireless PAN non-ASK PHY", "wpan-nonask-phy"},
    {220, "USB packets with Linux header and padding", "usb-linux-mmap"},
    {224, "Fibre Channel FC-2", "fc2"},
    {226, "Solaris IPNET", "ipnet"},
    {227, "SocketCAN", "socketcan"},
    {228, "Raw IPv4", "rawip4"},
    {229, "Raw IPv6", "rawip6"},
    {230, "IEEE 802.15.4 Wireless PAN with FCS not present", "wpan-nofcs"},
    {231, "D-Bus", "dbus"},
    {235, "DVB-CI (Common Interface)", "dvbci"},
    {239, "NFLOG", "nflog"},
    {240, "Hilscher netANALYZER", "netanalyzer"},
    {242, "IP over InfiniBand", "ip-ib"},
    {243, "ISO/IEC 13818-1 MPEG2-TS", "mp2ts"},
    {245, "NFC LLCP", "nfc-llcp"},
    {247, "InfiniBand", "infiniband"},
    {249, "USB packets with USBPcap header", "usb-usbpcap"},
    {251, "Bluetooth Low Energy Link Layer", "bluetooth-le-ll"},
    {252, "Wireshark Upper PDU export", "wireshark-upper-pdu"},
    {253, "Linux Netlink", "netlink"},
    {254, "Bluetooth Linux Monitor", "bluetooth-linux-monitor"},
    {256, "Bluetooth Low Energy Link Layer RF", "bluetooth-le-ll-rf"},
    {258, "Apple PKTAP", "pktap"},
    {270, "LoRaTap", "loratap"},
    {271, "Linux vsock", "vsock"},
    {272, "nRF Sniffer for Bluetooth LE", "nordic_ble"},
    {274, "Ethernet mPackets", "ether-mpacket"},
    {276, "Linux cooked-mode capture v2", "linux-sll2"},
    {281, "Elektrobit High Speed Capture and Replay", "ebhscr"},
    {283, "IEEE 802.15.4 Wireless with TAP pseudo-header", "wpan-tap"},
};

const LinkTypeName* find_link_type(std::uint32_t type) {
  auto it = std::lower_bound(std::begin(kLinkTypes), std::end(kLinkTypes), type,
                             [](const LinkTypeName& e, std::uint32_t t) { return e.type < t; });
  return it != std::end(kLinkTypes) && it->type == type ? it : nullptr;
}

// Names for types outside the table, kept for the life of the process so the
// returned views stay valid; there are few distinct unknown types in practice.
std::string_view unknown_name(std::uint32_t type) {
  thread_local std::array<std::string, 64> cache;
  thread_local std::array<std::uint32_t, 64> keys{};
  thread_local std::array<bool, 64> used{};
  std::size_t slot = type % cache.size();
  if (!used[slot] || keys[slot] != type) {
    // A collision replaces the slot; a caller holding the old view across
    // another lookup of a colliding unknown type would see the new name, so
    // callers copy names they keep (they are for printing).
    cache[slot] = "linktype-" + std::to_string(type);
    keys[slot] = type;
    used[slot] = true;
  }
  return cache[slot];
}

}  // namespace

std::string_view link_type_name(std::uint32_t link_type) {
  const LinkTypeName* e = find_link_type(link_type);
  return e ? e->name : unknown_name(link_type);
}

std::string_view link_type_short_name(std::uint32_t link_type) {
  const LinkTypeName* e = find_link_type(link_type);
  return e ? e->short_name : unknown_name(link_type);
}

std::string_view format_name(CaptureFormat f) {
  switch (f) {
    case CaptureFormat::kPcap: return "pcap";
    case CaptureFormat::kPcapNsec: return "pcap-nsec";
    case CaptureFormat::kPcapng: return "pcapng";
  }
  return "unknown";
}

std::string_view compression_name(Compression c) {
  switch (c) {
    case Compression::kNone: return "none";
    case Compression::kGzip: return "gzip";
    case Compression::kZstd: return "zstd";
  }
  return "unknown";
}

std::int64_t ticks_to_ns(std::uint64_t ticks, TsResolution r, std::int64_t tsoffset_sec) {
  __extension__ using i128 = __int128;
  __extension__ using u128 = unsigned __int128;
  constexpr i128 kMax = std::numeric_limits<std::int64_t>::max();
  constexpr i128 kMin = std::numeric_limits<std::int64_t>::min();
  unsigned n = r.exponent();
  u128 ns;
  if (r.is_binary()) {
    ns = (static_cast<u128>(ticks) * 1000000000u) >> n;  // n <= 127, product < 2^94
  } else if (n <= 9) {
    std::uint64_t mul = 1;
    for (unsigned i = n; i < 9; ++i) mul *= 10;
    ns = static_cast<u128>(ticks) * mul;
  } else {
    // Stops early once div exceeds ticks (the quotient is 0 from there), so div never overflows.
    u128 div = 1;
    for (unsigned i = 9; i < n && div <= static_cast<u128>(ticks); ++i) div *= 10;
    ns = static_cast<u128>(ticks) / div;
  }
  i128 total = ns > static_cast<u128>(kMax) ? kMax : static_cast<i128>(ns);
  total += static_cast<i128>(tsoffset_sec) * 1000000000;
  return static_cast<std::int64_t>(std::clamp(total, kMin, kMax));
}

}  // namespace pcapscope

// Field tables: one declarative table per layer, with Wireshark's field names
// and types. The same tables drive the detail view (--show), CSV/JSON/text
// columns (--fields) and, later, the filter language -- as Scapy's
// fields_desc does, but reading straight from the packet bytes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <memory>
#include <vector>

#include "pcapscope/decode.h"

namespace pcapscope {

enum class FieldType : std::uint8_t {
  kBool,     // printed 1/0 as tshark -T fields does ("True"/"False" in --show)
  kUInt,     // printed in decimal or hex (FieldDef::hex)
  kInt,
  kDouble,
  kTime,     // nanoseconds since epoch; printed as seconds with 9 decimals
  kIpv4,
  kIpv6,
  kMac,
  kBytes,    // printed as colon-less lower-case hex
  kString,
};

// A field's value: plain data, no allocation; `bytes`/`str` point into the packet
// or into static storage.
struct FieldValue {
  FieldType type = FieldType::kUInt;
  bool present = false;
  std::uint64_t u = 0;        // kBool, kUInt; kTime/kInt use i
  std::int64_t i = 0;
  double d = 0;
  std::array<std::uint8_t, 16> addr{};  // kIpv4 (4 bytes), kIpv6 (16), kMac (6)
  Bytes bytes;                // kBytes
  std::string_view str;       // kString

  static FieldValue absent() { return {}; }
  static FieldValue of_uint(std::uint64_t v) { FieldValue f; f.type = FieldType::kUInt; f.present = true; f.u = v; return f; }
  static FieldValue of_bool(bool v) { FieldValue f; f.type = FieldType::kBool; f.present = true; f.u = v; return f; }
  static FieldValue of_int(std::int64_t v) { FieldValue f; f.type = FieldType::kInt; f.present = true; f.i = v; return f; }
  static FieldValue of_double(double v) { FieldValue f; f.type = FieldType::kDouble; f.present = true; f.d = v; return f; }
  static FieldValue of_time(std::int64_t ns) { FieldValue f; f.type = FieldType::kTime; f.present = true; f.i = ns; return f; }
  static FieldValue of_ipv4(const std::uint8_t* p);
  static FieldValue of_ipv6(const std::uint8_t* p);
  static FieldValue of_mac(const std::uint8_t* p);
  static FieldValue of_bytes(Bytes b) { FieldValue f; f.type = FieldType::kBytes; f.present = true; f.bytes = b; return f; }
  static FieldValue of_string(std::string_view s) { FieldValue f; f.type = FieldType::kString; f.present = true; f.str = s; return f; }
};

// Reads one field from one layer of a decoded packet. LAYER is the layer the
// field belongs to (for kFrame fields, layers[0]). Returns absent() when the
// bytes are not there (truncated header).
using FieldGetter = FieldValue (*)(const DecodedPacket& pkt, const Layer& layer);

struct FieldDef {
  std::string_view name;         // "ip.src"
  FieldType type;
  Proto layer;                   // layer the field is read from
  FieldGetter get;
  std::string_view description;  // "Source Address"
  bool hex = false;              // kUInt printed as 0x%0*x (width from hex_width)
  std::uint8_t hex_width = 0;    // digits, e.g. 4 for tcp.flags 0x0012
  // An application field (dns.qry.name ...): not read from a layer's bytes but
  // from DecodedPacket::app, which the protocol stage fills (get is unused).
  bool app = false;
  // Fields naming either end (ip.addr, tcp.port, eth.addr): the other end's
  // value. Filters test both (`tcp.port == 80` matches either port); output
  // columns show the first, as `tshark -E occurrence=f` does.
  FieldGetter get_peer = nullptr;
};

// Application field values of one frame (DecodedPacket::app), as the protocol
// stage reported them; several values of one field are its occurrences.
struct AppFieldValues {
  struct Entry {
    const FieldDef* field;
    FieldValue value;  // kString and kBytes values point into `strings`
  };
  std::vector<Entry> entries;
  std::vector<std::unique_ptr<std::string>> strings;  // stable addresses
  void add(const FieldDef& field, const FieldValue& v);  // copies string and byte values
  bool empty() const { return entries.empty(); }
};

// All fields of all layers, in table order (layer by layer, as the detail view prints them).
std::span<const FieldDef> all_fields();
// Fields of one layer, in display order.
std::span<const FieldDef> fields_of(Proto p);
// Looks a field up by its name; nullptr if unknown. O(1) average.
const FieldDef* find_field(std::string_view name);

// Value of FIELD at its OCCURRENCE-th layer (0 = outermost, as `tshark -E occurrence=f`).
FieldValue get_field(const DecodedPacket& pkt, const FieldDef& field, unsigned occurrence = 0);
// Convenience for library users: value by name, absent if the name is unknown or the field absent.
FieldValue get_field(const DecodedPacket& pkt, std::string_view name, unsigned occurrence = 0);

// Appends the value as `tshark -T fields` prints it ("192.168.1.1", "6", "0x0012", "1").
// Absent values append nothing.
void append_value(std::string& out, const FieldDef& field, const FieldValue& v);
std::string format_value(const FieldDef& field, const FieldValue& v);

}  // namespace pcapscope

// The field registry: every protocol file's table concatenated once, indexed
// by layer and by name; value access and tshark-compatible formatting.
#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "decode/dispatch.h"

namespace pcapscope {

using namespace decode_detail;

namespace {
FieldValue of_address(FieldType type, const std::uint8_t* p, std::size_t n) {
  FieldValue f;
  f.type = type;
  f.present = true;
  std::memcpy(f.addr.data(), p, n);
  return f;
}
}  // namespace

FieldValue FieldValue::of_ipv4(const std::uint8_t* p) { return of_address(FieldType::kIpv4, p, 4); }
FieldValue FieldValue::of_ipv6(const std::uint8_t* p) { return of_address(FieldType::kIpv6, p, 16); }
FieldValue FieldValue::of_mac(const std::uint8_t* p) { return of_address(FieldType::kMac, p, 6); }

namespace {

constexpr std::size_t kProtoCount = static_cast<std::size_t>(Proto::kCount);

struct Registry {
  std::vector<FieldDef> all;
  std::array<std::pair<std::size_t, std::size_t>, kProtoCount> range{};  // [begin, end) in `all`
  std::unordered_map<std::string_view, const FieldDef*> by_name;

  Registry() {
    const std::pair<Proto, std::span<const FieldDef>> tables[] = {
        {Proto::kFrame, frame_fields()},     {Proto::kNull, null_fields()},
        {Proto::kSll, sll_fields()},         {Proto::kPpp, ppp_fields()},
        {Proto::kEthernet, ethernet_fields()}, {Proto::kLlc, llc_fields()},
        {Proto::kVlan, vlan_fields()},       {Proto::kMpls, mpls_fields()},
        {Proto::kPppoe, pppoe_fields()},     {Proto::kArp, arp_fields()},
        {Proto::kIpv4, ipv4_fields()},       {Proto::kIpv6, ipv6_fields()},
        {Proto::kIpv6Ext, ipv6_ext_fields()}, {Proto::kIcmp, icmp_fields()},
        {Proto::kIcmpv6, icmpv6_fields()},   {Proto::kTcp, tcp_fields()},
        {Proto::kUdp, udp_fields()},         {Proto::kGre, gre_fields()},
        {Proto::kErspan, erspan_fields()},   {Proto::kVxlan, vxlan_fields()},
        {Proto::kGeneve, geneve_fields()},   {Proto::kGtpU, gtpu_fields()},
        {Proto::kTeredo, teredo_fields()},   {Proto::kEtag, etag_fields()},
        {Proto::kVntag, vntag_fields()},     {Proto::kNsh, nsh_fields()},
    };
    // Application fields belong to no layer: they are listed and found by
    // name, never shown in a layer's detail view.
    const std::span<const FieldDef> app = app_fields();
    std::size_t n = app.size();
    for (const auto& t : tables) n += t.second.size();
    all.reserve(n);  // pointers into `all` are handed out below: no reallocation after this
    for (const auto& [proto, fields] : tables) {
      const std::size_t begin = all.size();
      all.insert(all.end(), fields.begin(), fields.end());
      range[static_cast<std::size_t>(proto)] = {begin, all.size()};
    }
    all.insert(all.end(), app.begin(), app.end());
    // SLL v2 shares v1's table (tshark names both "sll"); the getters pick offsets.
    range[static_cast<std::size_t>(Proto::kSll2)] = range[static_cast<std::size_t>(Proto::kSll)];
    by_name.reserve(all.size() * 2);
    for (const FieldDef& f : all) by_name.emplace(f.name, &f);
  }
};

const Registry& registry() {
  static const Registry r;
  return r;
}

bool layer_matches(Proto field_layer, Proto layer) {
  return field_layer == layer || (field_layer == Proto::kSll && layer == Proto::kSll2);
}

char hex_digit(unsigned v) { return "0123456789abcdef"[v & 0xf]; }

void append_uint(std::string& out, std::uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

std::span<const FieldDef> all_fields() { return registry().all; }

std::span<const FieldDef> fields_of(Proto p) {
  const auto& r = registry();
  if (p >= Proto::kCount) return {};
  const auto [b, e] = r.range[static_cast<std::size_t>(p)];
  return std::span<const FieldDef>(r.all).subspan(b, e - b);
}

const FieldDef* find_field(std::string_view name) {
  const auto& m = registry().by_name;
  auto it = m.find(name);
  return it == m.end() ? nullptr : it->second;
}

// OCCURRENCE counts the layers where the field is present, as tshark counts
// field occurrences: a VLAN-tagged 802.3 frame's first eth.type is the inner one.
FieldValue get_field(const DecodedPacket& pkt, const FieldDef& field, unsigned occurrence) {
  if (field.app) {
    if (!pkt.app) return FieldValue::absent();
    for (const auto& e : pkt.app->entries) {
      if (e.field == &field && occurrence-- == 0) return e.value;
    }
    return FieldValue::absent();
  }
  for (std::size_t i = 0; i < pkt.layer_count; ++i) {
    const Layer& l = pkt.layers[i];
    if (!layer_matches(field.layer, l.proto)) continue;
    FieldValue v = field.get(pkt, l);
    if (!v.present) continue;
    if (occurrence-- == 0) return v;
  }
  return FieldValue::absent();
}

FieldValue get_field(const DecodedPacket& pkt, std::string_view name, unsigned occurrence) {
  const FieldDef* f = find_field(name);
  return f ? get_field(pkt, *f, occurrence) : FieldValue::absent();
}

void append_value(std::string& out, const FieldDef& field, const FieldValue& v) {
  if (!v.present) return;
  switch (v.type) {
    case FieldType::kBool: out.push_back(v.u ? '1' : '0'); break;
    case FieldType::kUInt:
      if (field.hex) {
        out += "0x";
        unsigned digits = 1;
        while (digits < 16 && (v.u >> (4 * digits)) != 0) ++digits;
        for (unsigned d = std::max<unsigned>(digits, field.hex_width); d-- > 0;) out.push_back(hex_digit(static_cast<unsigned>(v.u >> (4 * d))));
      } else {
        append_uint(out, v.u);
      }
      break;
    case FieldType::kInt: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, v.i);
      out.append(buf, r.ptr);
      break;
    }
    case FieldType::kDouble: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, v.d);
      out.append(buf, r.ptr);
      break;
    }
    case FieldType::kTime: {
      // Times before 1970 print as a sign and the magnitude, as tshark does.
      std::uint64_t abs_ns = v.i < 0 ? 0 - static_cast<std::uint64_t>(v.i) : static_cast<std::uint64_t>(v.i);
      if (v.i < 0) out.push_back('-');
      append_uint(out, abs_ns / 1000000000u);
      out.push_back('.');
      char frac[9];
      std::uint64_t ns = abs_ns % 1000000000u;
      for (int d = 8; d >= 0; --d) {
        frac[d] = static_cast<char>('0' + ns % 10);
        ns /= 10;
      }
      out.append(frac, 9);
      break;
    }
    case FieldType::kIpv4:
      for (int k = 0; k < 4; ++k) {
        if (k) out.push_back('.');
        append_uint(out, v.addr[static_cast<std::size_t>(k)]);
      }
      break;
    case FieldType::kIpv6: {
      char buf[INET6_ADDRSTRLEN];
      if (inet_ntop(AF_INET6, v.addr.data(), buf, sizeof buf)) out += buf;
      break;
    }
    case FieldType::kMac:
      for (std::size_t k = 0; k < 6; ++k) {
        if (k) out.push_back(':');
        out.push_back(hex_digit(v.addr[k] >> 4));
        out.push_back(hex_digit(v.addr[k]));
      }
      break;
    case FieldType::kBytes:
      for (std::uint8_t b : v.bytes) {
        out.push_back(hex_digit(b >> 4));
        out.push_back(hex_digit(b));
      }
      break;
    case FieldType::kString: out += v.str; break;
  }
}

void AppFieldValues::add(const FieldDef& field, const FieldValue& v) {
  FieldValue copy = v;
  if (v.type == FieldType::kString) {
    strings.push_back(std::make_unique<std::string>(v.str));
    copy.str = *strings.back();
  } else if (v.type == FieldType::kBytes) {
    strings.push_back(std::make_unique<std::string>(reinterpret_cast<const char*>(v.bytes.data()), v.bytes.size()));
    copy.bytes = Bytes(reinterpret_cast<const std::uint8_t*>(strings.back()->data()), v.bytes.size());
  }
  entries.push_back({&field, copy});
}

std::string format_value(const FieldDef& field, const FieldValue& v) {
  std::string s;
  append_value(s, field, v);
  return s;
}

}  // namespace pcapscope

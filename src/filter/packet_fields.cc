// The packet vocabulary: every field of the decode stage's field tables (the
// same names `--fields` prints and `--show` lists), the protocol names
// (`tcp`, `ip`, `dns` ...) as presence tests and byte strings, and a few
// filter-only aliases Wireshark users type (frame.time).
#include <cstring>
#include <unordered_map>

#include "filter/value.h"
#include "pcapscope/decode.h"
#include "pcapscope/fields.h"
#include "pcapscope/proto.h"

namespace pcapscope::filter {
namespace {

Type type_of(FieldType t) {
  switch (t) {
    case FieldType::kBool: return Type::kBool;
    case FieldType::kUInt:
    case FieldType::kInt: return Type::kInt;
    case FieldType::kDouble: return Type::kFloat;
    case FieldType::kTime: return Type::kTime;
    case FieldType::kIpv4:
    case FieldType::kIpv6: return Type::kAddr;
    case FieldType::kMac: return Type::kMac;
    case FieldType::kBytes: return Type::kBytes;
    case FieldType::kString: return Type::kString;
  }
  return Type::kInt;
}

void push(const FieldValue& f, Values& out) {
  if (!f.present) return;
  Value v;
  v.type = type_of(f.type);
  switch (f.type) {
    case FieldType::kBool:
    case FieldType::kUInt: v.i = f.u > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<std::int64_t>(f.u); break;
    case FieldType::kInt:
    case FieldType::kTime: v.i = f.i; break;
    case FieldType::kDouble: v.d = f.d; break;
    case FieldType::kIpv4:
    case FieldType::kIpv6:
      v.addr_len = f.type == FieldType::kIpv4 ? 4 : 16;
      v.prefix = static_cast<std::uint8_t>(v.addr_len * 8);
      std::memcpy(v.addr.data(), f.addr.data(), v.addr_len);
      break;
    case FieldType::kMac:
      v.addr_len = 6;
      std::memcpy(v.addr.data(), f.addr.data(), 6);
      break;
    case FieldType::kBytes: v.s = std::string_view(reinterpret_cast<const char*>(f.bytes.data()), f.bytes.size()); break;
    case FieldType::kString: v.s = f.str; break;
  }
  out.push_back(v);
}

bool layer_matches(Proto field_layer, Proto layer) {
  return field_layer == layer || (field_layer == Proto::kSll && layer == Proto::kSll2);
}

void fetch_field(const void* subject, const void* arg, Values& out, std::string&) {
  const auto& pkt = *static_cast<const DecodedPacket*>(subject);
  const auto& def = *static_cast<const FieldDef*>(arg);
  if (def.app) {
    if (!pkt.app) return;
    for (const auto& e : pkt.app->entries)
      if (e.field == &def) push(e.value, out);
    return;
  }
  for (std::size_t i = 0; i < pkt.layer_count; ++i) {
    const Layer& l = pkt.layers[i];
    if (!layer_matches(def.layer, l.proto)) continue;
    push(def.get(pkt, l), out);
    if (def.get_peer) push(def.get_peer(pkt, l), out);
  }
}

void fetch_uid(const void* subject, const void*, Values& out, std::string&) {
  const auto& pkt = *static_cast<const DecodedPacket*>(subject);
  if (!pkt.session_uid.empty()) out.push_back(Value::of_text(Type::kString, pkt.session_uid));
}

// A protocol layer: one value per occurrence, its bytes from its header to its end.
void fetch_layer(const void* subject, const void* arg, Values& out, std::string&) {
  const auto& pkt = *static_cast<const DecodedPacket*>(subject);
  const auto proto = static_cast<Proto>(reinterpret_cast<std::uintptr_t>(arg));
  for (std::size_t i = 0; i < pkt.layer_count; ++i) {
    const Layer& l = pkt.layers[i];
    if (!layer_matches(proto, l.proto)) continue;
    const Bytes b = pkt.bytes(l);
    out.push_back(Value::of_text(Type::kBytes, std::string_view(reinterpret_cast<const char*>(b.data()), b.size())));
  }
}

// An application protocol (dns, http, tls, ssh): present when the frame carries one of its fields.
struct AppProtocol {
  std::string_view name;
  std::string_view prefix;
};
constexpr AppProtocol kAppProtocols[] = {{"dns", "dns."}, {"http", "http."}, {"tls", "tls."}, {"ssh", "ssh."}};

void fetch_app_protocol(const void* subject, const void* arg, Values& out, std::string&) {
  const auto& pkt = *static_cast<const DecodedPacket*>(subject);
  const auto& ap = *static_cast<const AppProtocol*>(arg);
  if (!pkt.app) return;
  for (const auto& e : pkt.app->entries) {
    if (e.field->name.substr(0, ap.prefix.size()) == ap.prefix) {
      out.push_back(Value::of_text(Type::kBytes, {}));
      return;
    }
  }
}

class PacketVocabulary final : public Vocabulary {
 public:
  PacketVocabulary() {
    for (const FieldDef& f : all_fields()) {
      FieldRef r;
      r.type = type_of(f.type);
      r.arg = &f;
      if (f.name == "uid") {
        r.fetch = fetch_uid;
        r.uid = true;
      } else {
        r.fetch = fetch_field;
        r.app = f.app;
      }
      add(f.name, r);
    }
    for (std::size_t p = 1; p < static_cast<std::size_t>(Proto::kCount); ++p) {
      const auto proto = static_cast<Proto>(p);
      const std::string_view name = proto_name(proto);
      if (by_name_.count(name)) continue;  // sll names both SLL versions
      FieldRef r;
      r.type = Type::kBytes;
      r.fetch = fetch_layer;
      r.arg = reinterpret_cast<const void*>(static_cast<std::uintptr_t>(proto == Proto::kSll2 ? Proto::kSll : proto));
      r.protocol = true;
      add(name, r);
    }
    for (const AppProtocol& ap : kAppProtocols) {
      FieldRef r;
      r.type = Type::kBytes;
      r.fetch = fetch_app_protocol;
      r.arg = &ap;
      r.app = true;
      r.protocol = true;
      add(ap.name, r);
    }
    // Wireshark's absolute-time field; ours is frame.time_epoch, the same value.
    if (auto it = by_name_.find("frame.time_epoch"); it != by_name_.end()) add("frame.time", it->second);
  }
  std::optional<FieldRef> lookup(std::string_view name) const override {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return std::nullopt;
    return it->second;
  }
  std::vector<std::string_view> names() const override { return names_; }

 private:
  void add(std::string_view name, const FieldRef& r) {
    if (by_name_.emplace(name, r).second) names_.push_back(name);
  }
  std::unordered_map<std::string_view, FieldRef> by_name_;
  std::vector<std::string_view> names_;
};

}  // namespace

const Vocabulary& packet_vocabulary() {
  static const PacketVocabulary v;
  return v;
}

}  // namespace pcapscope::filter

// JSON Lines for machines: one object a packet, stable keys (absent fields
// are null rather than missing, so every line has the same shape).
#include <nlohmann/json.hpp>

#include "core/time_format.h"
#include "output/packet_printer.h"

namespace pcapscope {
namespace {

using nlohmann::json;

// Numbers stay numbers; addresses, times and bytes use tshark's text form
// (a double cannot hold a nanosecond epoch time exactly).
json to_json(const FieldDef& f, const FieldValue& v, std::string& scratch) {
  if (!v.present) return nullptr;
  switch (v.type) {
    case FieldType::kBool: return v.u != 0;
    case FieldType::kUInt: return v.u;
    case FieldType::kInt: return v.i;
    case FieldType::kDouble: return v.d;
    default: break;
  }
  scratch.clear();
  append_value(scratch, f, v);
  return scratch;
}

class JsonPrinter final : public PacketPrinter {
 public:
  explicit JsonPrinter(const PrintOptions& opt) : opt_(opt) {}

  void begin(std::string&) override {}

  void print(const DecodedPacket& pkt, const PacketContext& ctx, std::string& out) override {
    const Packet& p = *pkt.packet;
    json j = json::object();
    if (!opt_.fields.empty()) {
      for (const FieldDef* f : opt_.fields) j[std::string(f->name)] = to_json(*f, get_field(pkt, *f), scratch_);
    } else {
      summarize(pkt, summary_);
      j["frame.number"] = p.frame;
      j["frame.time_epoch"] = format_epoch(p.ts_ns);
      j["frame.time_relative"] = seconds_between(p.ts_ns, ctx.first_ts_ns);
      j["source"] = summary_.source;
      j["destination"] = summary_.destination;
      j["protocol"] = summary_.protocol;
      j["frame.len"] = p.orig_len;
      j["info"] = summary_.info;
    }
    if (opt_.show) {
      json layers = json::array();
      for (unsigned li = 0; li < pkt.layer_count; ++li) {
        const Layer& layer = pkt.layers[li];
        json fields = json::object();
        for (const FieldDef& f : fields_of(layer.proto)) {
          FieldValue v = f.get(pkt, layer);
          if (v.present) fields[std::string(f.name)] = to_json(f, v, scratch_);
        }
        json l = {{"layer", std::string(proto_name(layer.proto))}, {"offset", layer.offset}, {"fields", fields}};
        if (layer.tunnel_depth) l["tunnel_depth"] = layer.tunnel_depth;
        if (layer.flags & layer_flag::kTruncated) l["truncated"] = true;
        if (layer.flags & layer_flag::kInIcmpError) l["in_icmp_error"] = true;
        layers.push_back(std::move(l));
      }
      j["layers"] = std::move(layers);
      j["payload_len"] = pkt.payload_len;
    }
    json anomalies = json::array();
    for (unsigned i = 0; i < pkt.anomaly_count; ++i) anomalies.push_back(std::string(anomaly_name(pkt.anomalies[i])));
    // Asked-for fields come alone; the default and --show objects carry anomalies.
    if (opt_.fields.empty() || opt_.show) j["anomalies"] = std::move(anomalies);
    if (opt_.hex) {
      static constexpr char kHex[] = "0123456789abcdef";
      std::string h;
      h.reserve(p.data.size() * 2);
      for (auto b : p.data) {
        h += kHex[b >> 4];
        h += kHex[b & 15];
      }
      j["hex"] = std::move(h);
    }
    out += j.dump(-1, ' ', false, json::error_handler_t::replace);
    out += '\n';
  }

 private:
  PrintOptions opt_;
  Summary summary_;
  std::string scratch_;
};

}  // namespace

std::unique_ptr<PacketPrinter> make_json_printer(const PrintOptions& opt) { return std::make_unique<JsonPrinter>(opt); }

}  // namespace pcapscope

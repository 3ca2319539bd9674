// Text output for people: tshark-like summary lines, tab-separated columns
// for --fields (as `tshark -T fields`), and the layered detail view (--show).
#include <fmt/format.h>

#include "core/time_format.h"
#include "output/packet_printer.h"

namespace pcapscope {
namespace {

class TextPrinter final : public PacketPrinter {
 public:
  explicit TextPrinter(const PrintOptions& opt) : opt_(opt) {}

  void begin(std::string&) override {}

  void print(const DecodedPacket& pkt, const PacketContext& ctx, std::string& out) override {
    if (opt_.show) {
      detail(pkt, out);
    } else if (!opt_.fields.empty()) {
      columns(pkt, out);
    } else {
      summary_line(pkt, ctx, out);
    }
    if (opt_.hex) {
      append_hex_dump(out, pkt.data());
      out += '\n';
    }
  }

 private:
  void summary_line(const DecodedPacket& pkt, const PacketContext& ctx, std::string& out) {
    summarize(pkt, summary_);
    const Packet& p = *pkt.packet;
    double rel = seconds_between(p.ts_ns, ctx.first_ts_ns);
    fmt::format_to(std::back_inserter(out), "{:>7} {:>12.6f} {:>15} → {:<15} {:<7} {:>5} {}\n", p.frame, rel,
                   summary_.source, summary_.destination, summary_.protocol, p.orig_len, summary_.info);
  }

  void columns(const DecodedPacket& pkt, std::string& out) {
    bool first = true;
    for (const FieldDef* f : opt_.fields) {
      if (!first) out += '\t';
      first = false;
      append_value(out, *f, get_field(pkt, *f));
    }
    out += '\n';
  }

  void detail(const DecodedPacket& pkt, std::string& out) {
    const Packet& p = *pkt.packet;
    fmt::format_to(std::back_inserter(out), "Frame {}: {} bytes on wire ({} bits), {} bytes captured ({} bits)\n", p.frame,
                   p.orig_len, std::uint64_t{p.orig_len} * 8, p.data.size(), p.data.size() * 8);
    for (unsigned li = 0; li < pkt.layer_count; ++li) {
      const Layer& layer = pkt.layers[li];
      if (li > 0) {
        fmt::format_to(std::back_inserter(out), "{} ({}){}{}{}\n", layer_title(layer.proto), proto_name(layer.proto),
                       layer.tunnel_depth ? fmt::format(" [tunnel depth {}]", layer.tunnel_depth) : "",
                       (layer.flags & layer_flag::kInIcmpError) ? " [in ICMP error]" : "",
                       (layer.flags & layer_flag::kTruncated) ? " [truncated]" : "");
      }
      for (const FieldDef& f : fields_of(layer.proto)) {
        FieldValue v = f.get(pkt, layer);
        if (!v.present) continue;
        fmt::format_to(std::back_inserter(out), "    {}: ", f.name);
        append_value(out, f, v);
        if (!f.description.empty()) fmt::format_to(std::back_inserter(out), "  ({})", f.description);
        out += '\n';
      }
    }
    if (pkt.payload_len) fmt::format_to(std::back_inserter(out), "Data ({} bytes)\n", pkt.payload_len);
    for (unsigned i = 0; i < pkt.anomaly_count; ++i)
      fmt::format_to(std::back_inserter(out), "[anomaly: {}]\n", anomaly_name(pkt.anomalies[i]));
    out += '\n';
  }

  PrintOptions opt_;
  Summary summary_;
};

}  // namespace

std::unique_ptr<PacketPrinter> make_text_printer(const PrintOptions& opt) { return std::make_unique<TextPrinter>(opt); }

}  // namespace pcapscope

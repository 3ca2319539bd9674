// CSV for spreadsheets and scripts: a header row, one row a packet, absent
// fields left empty (so columns line up with `tshark -T fields -E separator=,`).
#include <fmt/format.h>

#include "core/time_format.h"
#include "output/packet_printer.h"

namespace pcapscope {
namespace {

class CsvPrinter final : public PacketPrinter {
 public:
  explicit CsvPrinter(const PrintOptions& opt) : opt_(opt) {}

  void begin(std::string& out) override {
    bool first = true;
    auto col = [&](std::string_view name) {
      if (!first) out += ',';
      first = false;
      append_csv_cell(out, name);
    };
    if (opt_.fields.empty()) {
      for (const char* c : kSummaryColumns) col(c);
    } else {
      for (const FieldDef* f : opt_.fields) col(f->name);
    }
    out += '\n';
  }

  void print(const DecodedPacket& pkt, const PacketContext& ctx, std::string& out) override {
    if (opt_.fields.empty()) {
      summarize(pkt, summary_);
      const Packet& p = *pkt.packet;
      fmt::format_to(std::back_inserter(out), "{},{:.6f},", p.frame, seconds_between(p.ts_ns, ctx.first_ts_ns));
      append_csv_cell(out, summary_.source);
      out += ',';
      append_csv_cell(out, summary_.destination);
      out += ',';
      append_csv_cell(out, summary_.protocol);
      fmt::format_to(std::back_inserter(out), ",{},", p.orig_len);
      append_csv_cell(out, summary_.info);
      out += '\n';
      return;
    }
    bool first = true;
    for (const FieldDef* f : opt_.fields) {
      if (!first) out += ',';
      first = false;
      cell_.clear();
      append_value(cell_, *f, get_field(pkt, *f));
      append_csv_cell(out, cell_);
    }
    out += '\n';
  }

 private:
  PrintOptions opt_;
  Summary summary_;
  std::string cell_;
};

}  // namespace

std::unique_ptr<PacketPrinter> make_csv_printer(const PrintOptions& opt) { return std::make_unique<CsvPrinter>(opt); }

}  // namespace pcapscope

// `pcapscope packets FILE...`: one line per packet, a detail view, or chosen
// fields as text, CSV or JSON Lines.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <memory>
#include <unordered_map>

#include <memory>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/selection.h"
#include "cli/session_options.h"
#include "pcapscope/session.h"
#include "core/edit_distance.h"
#include "output/packet_printer.h"
#include "pcapscope/decode.h"
#include "pcapscope/fields.h"

namespace pcapscope::cli {
namespace {

struct PacketsOptions {
  std::vector<std::string> files;
  std::string slice;
  std::string fields;
  std::string format = "text";
  bool show = false;
  bool hex = false;
};

// " (did you mean ip.src?)" when one field name is a plausible typo away, else "".
std::string did_you_mean(std::string_view typed) {
  std::string_view best;
  std::size_t best_distance = ~std::size_t{0};
  for (const FieldDef& f : all_fields()) {
    const std::size_t d = edit_distance(typed, f.name);
    if (d < best_distance) {
      best_distance = d;
      best = f.name;
    }
  }
  if (best.empty() || !is_plausible_typo(typed, best, best_distance)) return "";
  return " (did you mean " + std::string(best) + "?)";
}

std::vector<const FieldDef*> parse_fields(const std::string& list) {
  std::vector<const FieldDef*> out;
  std::size_t pos = 0;
  while (pos <= list.size() && !list.empty()) {
    auto comma = list.find(',', pos);
    std::string name = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    while (!name.empty() && name.front() == ' ') name.erase(name.begin());
    while (!name.empty() && name.back() == ' ') name.pop_back();
    if (name.empty()) die("--fields", "empty field name in \"" + list + "\"");
    const FieldDef* f = find_field(name);
    if (!f) die("--fields", "unknown field \"" + name + "\"" + did_you_mean(name) + " (run 'pcapscope fields' for the names)");
    out.push_back(f);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

int run(const PacketsOptions& opt) {
  PrintOptions po;
  po.format = opt.format == "json" || opt.format == "jsonl" ? OutputFormat::kJson
              : opt.format == "csv"                         ? OutputFormat::kCsv
                                                            : OutputFormat::kText;
  po.fields = parse_fields(opt.fields);
  po.show = opt.show;
  po.hex = opt.hex;
  if (po.format == OutputFormat::kCsv && (po.show || po.hex)) die("--format csv", "--show and --hex need text or json");
  auto slice = parse_slice_option(opt.slice);

  auto printer = make_printer(po);
  std::string out;
  printer->begin(out);
  Stdout::write(out);
  DecodedPacket dec;
  PacketContext pctx;

  // The uid field needs the session stage over every packet up to the last
  // one listed, selected or not (a session starts where it starts).
  const bool want_uid = po.show || std::any_of(po.fields.begin(), po.fields.end(),
                                               [](const FieldDef* f) { return f->name == "uid"; });
  std::unique_ptr<SessionTable> sessions;
  // Uids of the selected packets read so far and not yet printed: one at a
  // time for forward slices, the whole selection for reversed ones (which
  // keep copies of those packets anyway).
  std::unordered_map<std::uint64_t, std::array<char, 20>> uids;
  DecodedPacket track;
  PacketVisitor every = [&](const Packet& pkt, const SelectionContext& sctx) {
    decode(pkt, track);
    const SessionRecord* r = sessions->process(track);
    if (r && sctx.selected) uids[pkt.frame] = r->uid;
  };
  if (want_uid) {
    SessionOptions so = resolve_session_options({});
    so.reassemble = false;  // uids need the flow table only
    sessions = std::make_unique<SessionTable>(so);
  }

  Timeline tl = for_each_selected(
      opt.files, slice,
      [&](const Packet& pkt, const SelectionContext& sctx) {
        pctx.first_ts_ns = sctx.first_ts_ns;
        decode(pkt, dec);
        if (want_uid) {
          auto it = uids.find(pkt.frame);
          if (it != uids.end()) {
            dec.session_uid = it->second.data();
          }
        }
        out.clear();
        printer->print(dec, pctx, out);
        Stdout::write(out);
        if (want_uid) uids.erase(pkt.frame);
      },
      want_uid ? &every : nullptr);
  Stdout::flush();
  report_damage(tl);
  return kExitOk;
}

}  // namespace

void add_packets_command(CLI::App& app, int& exit_code) {
  auto opt = std::make_shared<PacketsOptions>();
  auto* cmd = app.add_subcommand("packets", "List packets: summaries, layer details, chosen fields (text, CSV, JSON Lines)");
  cmd->add_option("files", opt->files, "Capture files, merged into one timeline by time (- for stdin)")->required();
  cmd->add_option("--slice", opt->slice,
                  "Packets to list, Python slice over 0-based indices: START:STOP[:STEP], negatives count from the end "
                  "(e.g. 0:10, -5:, ::100, 7)");
  cmd->add_option("--fields", opt->fields, "Comma-separated field names (Wireshark's), e.g. frame.number,ip.src,tcp.dstport");
  cmd->add_option("--format", opt->format, "text (default), json (JSON Lines, one object per packet) or csv")
      ->check(CLI::IsMember({"text", "json", "jsonl", "csv"}));
  cmd->add_flag("--show", opt->show, "Show every layer with every field of its table");
  cmd->add_flag("--hex", opt->hex, "Add a hex dump of the captured bytes");
  cmd->callback([opt, &exit_code] { exit_code = run(*opt); });
}

}  // namespace pcapscope::cli

// `pcapscope packets FILE...`: one line per packet, a detail view, or chosen
// fields as text, CSV or JSON Lines.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <functional>
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
#include "pcapscope/proto.h"

namespace pcapscope::cli {
namespace {

struct PacketsOptions {
  std::vector<std::string> files;
  std::string slice;
  std::string fields;
  std::string format = "text";
  bool show = false;
  bool hex = false;
  ConfigFlags config;  // the session stage's settings, for uid and application fields
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
  // Resolved before anything is printed: a bad setting stops the run whether or not sessions are tracked.
  const SessionOptions session_opt = resolve_session_options(opt.config);
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
  // one listed, selected or not (a session starts where it starts); the
  // application fields (dns.qry.name ...) need the protocol stage over
  // reassembled streams as well, and land on the frame that completed their
  // message, as tshark shows them.
  const bool want_uid = po.show || std::any_of(po.fields.begin(), po.fields.end(),
                                               [](const FieldDef* f) { return f->name == "uid"; });
  const bool want_app =
      std::any_of(po.fields.begin(), po.fields.end(), [](const FieldDef* f) { return f->app; });
  const bool track = want_uid || want_app;
  std::unique_ptr<SessionTable> sessions;
  std::unique_ptr<ProtocolStage> stage;
  // What the stages found for the selected packets read so far and not yet
  // printed: one at a time for forward slices, the whole selection for
  // reversed ones (which keep copies of those packets anyway).
  struct Found {
    std::array<char, 20> uid{};
    AppFieldValues app;
  };
  std::unordered_map<std::uint64_t, Found> found;
  bool current_selected = false;
  std::uint64_t current_frame = 0;
  struct FrameFieldSink final : ProtocolObserver {
    std::function<void(std::uint64_t, const FieldDef&, const FieldValue&)> fn;
    void on_frame_field(std::uint64_t frame, const FieldDef& f, const FieldValue& v) override { fn(frame, f, v); }
  } field_sink;
  field_sink.fn = [&](std::uint64_t frame, const FieldDef& f, const FieldValue& v) {
    // Fields belong to the packet being processed; a message completed by a
    // later packet of the session reports that packet's frame.
    if (current_selected && frame == current_frame) found[frame].app.add(f, v);
  };
  DecodedPacket tracked;
  PacketVisitor every = [&](const Packet& pkt, const SelectionContext& sctx) {
    decode(pkt, tracked);
    current_selected = sctx.selected;
    current_frame = pkt.frame;
    const SessionRecord* r = sessions->process(tracked);
    if (r && sctx.selected && want_uid) found[pkt.frame].uid = r->uid;
  };
  if (track) {
    SessionOptions so = session_opt;
    so.reassemble = want_app;  // uids alone need the flow table only
    if (want_app) {
      ProtocolOptions popt;
      popt.frame_fields = true;
      stage = std::make_unique<ProtocolStage>(popt, &field_sink);
    }
    sessions = std::make_unique<SessionTable>(so, stage.get());
  }

  Timeline tl = for_each_selected(
      opt.files, slice,
      [&](const Packet& pkt, const SelectionContext& sctx) {
        pctx.first_ts_ns = sctx.first_ts_ns;
        decode(pkt, dec);
        auto it = track ? found.find(pkt.frame) : found.end();
        if (it != found.end()) {
          if (it->second.uid[0] != '\0') dec.session_uid = it->second.uid.data();
          if (!it->second.app.empty()) dec.app = &it->second.app;
        }
        out.clear();
        printer->print(dec, pctx, out);
        Stdout::write(out);
        if (it != found.end()) found.erase(it);
      },
      track ? &every : nullptr);
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
  add_config_flags(*cmd, opt->config);
  cmd->callback([opt, &exit_code] { exit_code = run(*opt); });
}

}  // namespace pcapscope::cli

// `pcapscope packets FILE...`: one line per packet, a detail view, or chosen
// fields as text, CSV or JSON Lines.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cli/common.h"
#include "cli/filter_options.h"
#include "cli/frame_annotator.h"
#include "cli/packet_batches.h"
#include "cli/selection.h"
#include "cli/session_options.h"
#include "cli/threads.h"
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
  std::string filter;  // display filter (--filter)
  std::string bpf;     // capture filter (--bpf), applied before decoding
  bool show = false;
  bool hex = false;
  unsigned threads = 0;  // -j (0: PCAPSCOPE_THREADS or every core)
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

// One printer, filter and decode buffer per worker: none of them is shared.
Timeline run_parallel(const PacketsOptions& opt, const PrintOptions& po, unsigned threads, const OpenOptions& reading) {
  struct Worker {
    std::unique_ptr<PacketPrinter> printer;
    std::optional<filter::Filter> filter;
    DecodedPacket dec;
  };
  std::vector<Worker> workers(threads);
  for (Worker& w : workers) {
    w.printer = make_printer(po);
    w.filter = compile_filter_or_die(opt.filter, filter::Subject::kPacket);
  }
  PacketBatches batches(
      threads,
      [&workers](unsigned id, PacketBatch& batch) {
        Worker& w = workers[id];
        PacketContext pctx;
        for (std::size_t i = 0; i < batch.size(); ++i) {
          decode(batch.packet(i), w.dec);
          if (w.filter && !w.filter->matches(w.dec)) continue;
          pctx.first_ts_ns = batch.first_ts_ns(i);
          w.printer->print(w.dec, pctx, batch.text);
        }
      },
      [](PacketBatch& batch) { Stdout::write(batch.text); });
  Timeline tl = for_each_selected(
      opt.files, parse_slice_option(opt.slice),
      [&](const Packet& pkt, const SelectionContext& sctx) { batches.add(pkt, sctx.first_ts_ns, 0); }, nullptr, reading);
  batches.finish();
  Stdout::flush();
  return tl;
}

int run(const PacketsOptions& opt) {
  // Resolved before anything is printed: a bad setting stops the run whether or not sessions are tracked.
  const config::Config config = resolve_config(opt.config);
  const SessionOptions session_opt = session_options_from_config(config);
  const OpenOptions reading = reading_options(config, opt.bpf);
  PrintOptions po;
  po.format = opt.format == "json" || opt.format == "jsonl" ? OutputFormat::kJson
              : opt.format == "csv"                         ? OutputFormat::kCsv
                                                            : OutputFormat::kText;
  po.fields = parse_fields(opt.fields);
  po.show = opt.show;
  po.hex = opt.hex;
  if (po.format == OutputFormat::kCsv && (po.show || po.hex)) die("--format csv", "--show and --hex need text or json");
  auto slice = parse_slice_option(opt.slice);
  const std::optional<filter::Filter> flt = compile_filter_or_die(opt.filter, filter::Subject::kPacket);
  const unsigned threads = resolve_threads(opt.threads);

  auto printer = make_printer(po);
  std::string out;
  printer->begin(out);
  Stdout::write(out);
  DecodedPacket dec;
  PacketContext pctx;

  const bool want_uid = po.show || (flt && flt->needs_uid()) ||
                        std::any_of(po.fields.begin(), po.fields.end(), [](const FieldDef* f) { return f->name == "uid"; });
  const bool want_app = (flt && flt->needs_app_fields()) ||
                        std::any_of(po.fields.begin(), po.fields.end(), [](const FieldDef* f) { return f->app; });
  FrameAnnotator annotator(session_opt, want_uid, want_app);
  // Packets alone (no uid, no application field) are decoded, filtered and
  // printed on every thread; the others need the session stage in order.
  if (threads > 1 && !annotator.active()) {
    Timeline tl = run_parallel(opt, po, threads, reading);
    report_damage(tl);
    return kExitOk;
  }
  PacketVisitor every = [&](const Packet& pkt, const SelectionContext& sctx) { annotator.observe(pkt, sctx.selected); };

  Timeline tl = for_each_selected(
      opt.files, slice,
      [&](const Packet& pkt, const SelectionContext& sctx) {
        pctx.first_ts_ns = sctx.first_ts_ns;
        decode(pkt, dec);
        annotator.attach(pkt, dec);
        if (!flt || flt->matches(dec)) {
          out.clear();
          printer->print(dec, pctx, out);
          Stdout::write(out);
        }
        annotator.release(pkt);
      },
      annotator.active() ? &every : nullptr, reading);
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
  cmd->add_option("--filter,-Y", opt->filter,
                  "Display filter (Wireshark syntax): list only matching packets, e.g. 'tcp.flags.syn == 1 && "
                  "ip.dst == 10.0.0.0/8' (docs/filters.md)");
  cmd->add_flag("--show", opt->show, "Show every layer with every field of its table");
  cmd->add_flag("--hex", opt->hex, "Add a hex dump of the captured bytes");
  add_bpf_option(*cmd, opt->bpf);
  add_threads_option(*cmd, opt->threads);
  add_config_flags(*cmd, opt->config);
  cmd->callback([opt, &exit_code] { exit_code = run(*opt); });
}

}  // namespace pcapscope::cli

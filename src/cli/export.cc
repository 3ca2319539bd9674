// `pcapscope export FILE... --slice ... -o OUT`: carve packets into a new
// capture, bytes, timestamps (with their resolution) and link types intact.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "cli/common.h"
#include "cli/filter_options.h"
#include "cli/frame_annotator.h"
#include "cli/packet_batches.h"
#include "cli/session_options.h"
#include "cli/selection.h"
#include "cli/threads.h"
#include "core/evidence_file.h"
#include "pcapscope/writer.h"

namespace pcapscope::cli {
namespace {

struct ExportOptions {
  std::vector<std::string> files;
  std::string slice;
  std::string output;
  std::string format;  // pcap | pcapng | "" (from the extension)
  std::string bpf;     // capture filter (--bpf)
  std::string filter;  // display filter (--filter)
  bool sessions = false;  // with --filter: every packet of a session with a matching packet
  bool force = false;
  unsigned threads = 0;  // -j (0: PCAPSCOPE_THREADS or every core)
  ConfigFlags config;  // the session stage's settings, for uids and application fields
};

// The uids of the sessions holding a packet that matches FLT, and the frames
// of matching packets that belong to no session (ARP, non-IP).
struct MatchedSessions {
  std::unordered_set<std::string> uids;
  std::unordered_set<std::uint64_t> frames;
};

MatchedSessions find_matching_sessions(const ExportOptions& opt, const std::optional<Slice>& slice,
                                       const filter::Filter& flt, const SessionOptions& so,
                                       const OpenOptions& reading) {
  MatchedSessions m;
  FrameAnnotator annotator(so, true, flt.needs_app_fields());
  PacketVisitor every = [&](const Packet& pkt, const SelectionContext& sctx) { annotator.observe(pkt, sctx.selected); };
  DecodedPacket dec;
  for_each_selected(opt.files, slice, [&](const Packet& pkt, const SelectionContext&) {
    decode(pkt, dec);
    annotator.attach(pkt, dec);
    if (flt.matches(dec)) {
      if (dec.session_uid.empty()) {
        m.frames.insert(pkt.frame);
      } else {
        m.uids.emplace(dec.session_uid);
      }
    }
    annotator.release(pkt);
  }, &every, reading);
  return m;
}

// A header-only filter runs on every thread (one compiled filter each); the
// packets are written in their order on this one. WRITE(packet, interfaces
// known when it was read).
using WriteFn = std::function<void(const Packet&, std::span<const Interface>)>;
Timeline carve_parallel(const ExportOptions& opt, const std::optional<Slice>& slice, unsigned threads,
                        const WriteFn& write, const OpenOptions& reading) {
  struct Worker {
    std::optional<filter::Filter> filter;
    DecodedPacket dec;
  };
  std::vector<Worker> workers(threads);
  for (Worker& w : workers) w.filter = compile_filter_or_die(opt.filter, filter::Subject::kPacket);
  const Timeline* timeline = nullptr;
  PacketBatches batches(
      threads,
      [&workers](unsigned id, PacketBatch& batch) {
        Worker& w = workers[id];
        for (std::size_t i = 0; i < batch.size(); ++i) {
          decode(batch.packet(i), w.dec);
          batch.keep[i] = w.filter->matches(w.dec) ? 1 : 0;
        }
      },
      [&](PacketBatch& batch) {
        for (std::size_t i = 0; i < batch.size(); ++i) {
          if (!batch.keep[i]) continue;
          const std::vector<Interface>& all = timeline->interfaces();
          write(batch.packet(i), std::span<const Interface>(all).first(std::min(batch.interfaces_known(i), all.size())));
        }
      });
  Timeline tl = for_each_selected(
      opt.files, slice,
      [&](const Packet& pkt, const SelectionContext& ctx) {
        timeline = ctx.timeline;
        batches.add(pkt, ctx.first_ts_ns, ctx.timeline->interfaces().size());
      },
      nullptr, reading);
  timeline = &tl;  // the walk's timeline was moved out to TL
  batches.finish();
  return tl;
}

int run(const ExportOptions& opt) {
  if (opt.output == "-") die("-o", "writing a capture to stdout is not supported; name a file");
  for (const auto& in : opt.files) {
    if (in == opt.output || same_file(in, opt.output))
      die(opt.output, "refusing to overwrite an input file (evidence is read-only)");
  }
  if (!opt.force && std::filesystem::exists(opt.output)) die(opt.output, "already exists (use --force to replace it)");
  WriteFormat fmt = opt.format.empty() ? write_format_for_path(opt.output)
                    : opt.format == "pcapng" ? WriteFormat::kPcapng
                                             : WriteFormat::kPcap;
  auto slice = parse_slice_option(opt.slice);
  const config::Config config = resolve_config(opt.config);
  const SessionOptions so = session_options_from_config(config);
  const OpenOptions reading = reading_options(config, opt.bpf);
  const std::optional<filter::Filter> flt = compile_filter_or_die(opt.filter, filter::Subject::kPacket);
  const unsigned threads = resolve_threads(opt.threads);
  if (opt.sessions && !flt) die("--sessions", "needs --filter: the sessions to carve are those with a matching packet");
  if (opt.sessions) {
    for (const auto& in : opt.files)
      if (in == "-") die("--sessions", "reads the input twice (a session's first packets precede the match), which stdin cannot give");
  }

  // --sessions: a first pass finds the sessions, the second carves their packets (uids are deterministic,
  // so both passes give every packet the same uid).
  std::optional<MatchedSessions> matched;
  if (opt.sessions) matched = find_matching_sessions(opt, slice, *flt, so, reading);
  const bool want_uid = matched.has_value() || (flt && flt->needs_uid());
  const bool want_app = !matched && flt && flt->needs_app_fields();
  FrameAnnotator annotator(so, want_uid, want_app);
  PacketVisitor every = [&](const Packet& pkt, const SelectionContext& sctx) { annotator.observe(pkt, sctx.selected); };
  DecodedPacket dec;

  std::unique_ptr<CaptureWriter> writer;
  std::uint64_t written = 0;
  // Interfaces of pcapng inputs can appear mid-file, so the writer is created
  // when the first packet to write is known and sees the interfaces known then.
  auto write = [&](const Packet& pkt, std::span<const Interface> interfaces) {
    if (!writer) {
      auto w = CaptureWriter::create(opt.output, fmt, std::vector<Interface>(interfaces.begin(), interfaces.end()),
                                     opt.force);
      if (!w) die(opt.output, w.error().message);
      writer = std::move(w).value();
    }
    auto r = writer->write(pkt);
    if (!r) die(opt.output, r.error().message);
    ++written;
  };
  std::optional<Timeline> parallel;
  if (threads > 1 && flt && !annotator.active()) parallel = carve_parallel(opt, slice, threads, write, reading);
  Timeline tl = parallel ? std::move(*parallel) : for_each_selected(opt.files, slice, [&](const Packet& pkt, const SelectionContext& ctx) {
    if (flt) {
      decode(pkt, dec);
      annotator.attach(pkt, dec);
      const bool keep = matched ? (dec.session_uid.empty() ? matched->frames.count(pkt.frame) > 0
                                                            : matched->uids.count(std::string(dec.session_uid)) > 0)
                                : flt->matches(dec);
      annotator.release(pkt);
      if (!keep) return;
    }
    write(pkt, ctx.timeline->interfaces());
  }, annotator.active() ? &every : nullptr, reading);
  if (!writer) {
    auto w = CaptureWriter::create(opt.output, fmt, tl.interfaces(), opt.force);
    if (!w) die(opt.output, w.error().message);
    writer = std::move(w).value();
  }
  auto closed = writer->close();
  if (!closed) die(opt.output, closed.error().message);
  report_damage(tl);
  fmt::print(stderr, "pcapscope: wrote {} packets to {}\n", written, opt.output);
  return kExitOk;
}

}  // namespace

void add_export_command(CLI::App& app, int& exit_code) {
  auto opt = std::make_shared<ExportOptions>();
  auto* cmd = app.add_subcommand("export", "Carve packets into a new pcap or pcapng file (original bytes and timestamps)");
  cmd->add_option("files", opt->files, "Capture files, merged into one timeline by time (- for stdin)")->required();
  cmd->add_option("--slice", opt->slice, "Packets to carve, Python slice over 0-based indices (default: all)");
  cmd->add_option("-o,--output", opt->output, "Output file; .pcapng/.ntar writes pcapng, anything else pcap")->required();
  cmd->add_option("--out-format", opt->format, "Force the output format")->check(CLI::IsMember({"pcap", "pcapng"}));
  cmd->add_flag("--force", opt->force, "Replace OUTPUT if it exists (never an input)");
  add_bpf_option(*cmd, opt->bpf);
  cmd->add_option("--filter,-Y", opt->filter,
                  "Display filter (Wireshark syntax): carve only matching packets (docs/filters.md)");
  cmd->add_flag("--sessions", opt->sessions,
                "With --filter: carve every packet of each session that has a matching packet");
  add_threads_option(*cmd, opt->threads);
  add_config_flags(*cmd, opt->config);
  cmd->callback([opt, &exit_code] { exit_code = run(*opt); });
}

}  // namespace pcapscope::cli


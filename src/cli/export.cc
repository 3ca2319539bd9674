// `pcapscope export FILE... --slice ... -o OUT`: carve packets into a new
// capture, bytes, timestamps (with their resolution) and link types intact.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "cli/common.h"
#include "cli/selection.h"
#include "core/evidence_file.h"
#include "pcapscope/writer.h"

namespace pcapscope::cli {
namespace {

struct ExportOptions {
  std::vector<std::string> files;
  std::string slice;
  std::string output;
  std::string format;  // pcap | pcapng | "" (from the extension)
  bool force = false;
};

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

  std::unique_ptr<CaptureWriter> writer;
  std::uint64_t written = 0;
  Timeline tl = for_each_selected(opt.files, slice, [&](const Packet& pkt, const SelectionContext& ctx) {
    if (!writer) {
      // Interfaces of pcapng inputs can appear mid-file, so the writer is
      // created when the first packet is known and sees every interface then.
      auto w = CaptureWriter::create(opt.output, fmt, ctx.timeline->interfaces(), opt.force);
      if (!w) die(opt.output, w.error().message);
      writer = std::move(w).value();
    }
    auto r = writer->write(pkt);
    if (!r) die(opt.output, r.error().message);
    ++written;
  });
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
  cmd->callback([opt, &exit_code] { exit_code = run(*opt); });
}

}  // namespace pcapscope::cli


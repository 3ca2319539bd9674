// `pcapscope info FILE...`: what each evidence file is and whether it is intact.
//
// Per file, like capinfos, but with what a responder needs for chain of
// custody (SHA-256 of the file as stored) and for trusting the rest of the
// analysis (damaged regions recovered, records accepted with odd headers,
// decode anomalies by name).
//
// --bpf does not narrow the report: integrity is a property of the whole
// file, so every count stays the file's; the filter only adds how many
// packets it matches (and, per link type, why it could not be applied).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "capture/bpf_filter.h"
#include "cli/common.h"
#include "cli/session_options.h"
#include "core/evidence_file.h"
#include "core/time_format.h"
#include "pcapscope/capture.h"
#include "pcapscope/decode.h"

namespace pcapscope::cli {
namespace {

struct InfoOptions {
  std::vector<std::string> files;
  std::string format = "text";
  bool no_hash = false;
  bool no_decode = false;
  std::string bpf;
  ConfigFlags config;        // reading settings: decompression bounds, max_layers
  OpenOptions reading;       // from them, resolved once by run()
};

struct FileReport {
  FileSummary summary;
  std::string sha256;  // empty for stdin or --no-hash
  std::uint64_t packets = 0;
  std::uint64_t captured_bytes = 0;
  std::uint64_t original_bytes = 0;
  std::int64_t first_ns = std::numeric_limits<std::int64_t>::max();
  std::int64_t last_ns = std::numeric_limits<std::int64_t>::min();
  std::uint64_t out_of_order = 0;
  std::uint64_t truncated_by_snaplen = 0;  // caplen < origlen
  // Few link types per file: a flat list beats a map lookup per packet.
  std::vector<std::pair<std::uint32_t, std::uint64_t>> packets_per_link_type;
  // Decode anomalies counted by id on the packet path; named only for output.
  std::array<std::uint64_t, static_cast<std::size_t>(Anomaly::kCount)> anomaly_counts{};
  std::map<std::string, std::uint64_t> record_anomalies;
  std::uint64_t bpf_matched = 0;
  std::vector<BpfSkippedLinkType> bpf_skipped;  // link types --bpf could not be compiled for


  bool has_packets() const { return packets > 0; }
};

void count_record_flags(FileReport& r, std::uint32_t flags) {
  if (flags & record_flag::kCaplenOverSnaplen) ++r.record_anomalies["caplen_over_snaplen"];
  if (flags & record_flag::kOrigLenUnderCaplen) ++r.record_anomalies["origlen_under_caplen"];
  if (flags & record_flag::kTimestampJump) ++r.record_anomalies["timestamp_jump"];
  if (flags & record_flag::kBadInterface) ++r.record_anomalies["bad_interface_id"];
}

void count_link_type(FileReport& r, std::uint32_t lt) {
  for (auto& [type, n] : r.packets_per_link_type) {
    if (type == lt) {
      ++n;
      return;
    }
  }
  r.packets_per_link_type.emplace_back(lt, 1);
}

Result<FileReport> inspect(const std::string& path, const InfoOptions& opt) {
  FileReport r;
  auto reader = CaptureReader::open(path, opt.reading);
  if (!reader) return reader.error();
  // A fresh filter per file: its skipped link types are this file's.
  std::unique_ptr<BpfFilter> bpf;
  if (!opt.bpf.empty()) {
    auto f = BpfFilter::create(opt.bpf);
    if (!f) return Error{"--bpf: " + f.error().message};
    bpf = std::move(f).value();
  }
  if (!opt.no_hash && path != "-") {
    auto h = sha256_file(path);
    if (!h) return h.error();
    r.sha256 = *h;
  }
  Packet pkt;
  DecodedPacket dec;
  std::int64_t prev = std::numeric_limits<std::int64_t>::min();
  while ((*reader)->next(pkt)) {
    ++r.packets;
    r.captured_bytes += pkt.data.size();
    r.original_bytes += pkt.orig_len;
    r.first_ns = std::min(r.first_ns, pkt.ts_ns);
    r.last_ns = std::max(r.last_ns, pkt.ts_ns);
    if (pkt.ts_ns < prev) ++r.out_of_order;
    prev = pkt.ts_ns;
    if (pkt.data.size() < pkt.orig_len) ++r.truncated_by_snaplen;
    count_link_type(r, pkt.link_type);
    if (pkt.record_flags) count_record_flags(r, pkt.record_flags);
    if (bpf) {
      const auto& itfs = (*reader)->summary().interfaces;
      r.bpf_matched += bpf->matches(pkt, pkt.interface < itfs.size() ? itfs[pkt.interface].snaplen : 0);
    }
    if (!opt.no_decode) {
      decode(pkt, dec);
      for (unsigned i = 0; i < dec.anomaly_count; ++i) ++r.anomaly_counts[static_cast<std::size_t>(dec.anomalies[i])];
    }
  }
  r.summary = (*reader)->summary();
  if (bpf) r.bpf_skipped = bpf->skipped_link_types();
  return r;
}

// Decode anomaly name -> packets, sorted by name, for the report.
std::map<std::string, std::uint64_t> anomalies_by_name(const FileReport& r) {
  std::map<std::string, std::uint64_t> named;
  for (std::size_t a = 0; a < r.anomaly_counts.size(); ++a)
    if (r.anomaly_counts[a]) named[std::string(anomaly_name(static_cast<Anomaly>(a)))] = r.anomaly_counts[a];
  return named;
}

std::vector<std::uint32_t> link_types_of(const FileReport& r) {
  std::vector<std::uint32_t> lts;
  for (const auto& i : r.summary.interfaces)
    if (std::find(lts.begin(), lts.end(), i.link_type) == lts.end()) lts.push_back(i.link_type);
  return lts;
}

double duration_s(const FileReport& r) {
  return r.has_packets() ? seconds_between(r.last_ns, r.first_ns) : 0.0;
}

std::string resolution_name(TsResolution res) {
  if (res.is_binary()) return fmt::format("2^-{} s", res.exponent());
  switch (res.exponent()) {
    case 0: return "seconds";
    case 3: return "milliseconds";
    case 6: return "microseconds";
    case 9: return "nanoseconds";
    default: return fmt::format("10^-{} s", res.exponent());
  }
}

nlohmann::json to_json(const FileReport& r, const InfoOptions& opt) {
  using nlohmann::json;
  json j;
  j["file"] = r.summary.path;
  j["format"] = format_name(r.summary.format);
  j["compression"] = compression_name(r.summary.compression);
  j["byte_order"] = r.summary.big_endian ? "big-endian" : "little-endian";
  j["version"] = fmt::format("{}.{}", r.summary.version_major, r.summary.version_minor);
  j["sections"] = r.summary.sections;
  j["file_bytes"] = r.summary.file_bytes;
  j["data_bytes"] = r.summary.data_bytes;
  j["sha256"] = r.sha256.empty() ? json(nullptr) : json(r.sha256);
  json lts = json::array();
  for (auto lt : link_types_of(r)) lts.push_back(std::string(link_type_short_name(lt)));
  j["link_types"] = lts;
  json ifs = json::array();
  for (const auto& i : r.summary.interfaces) {
    ifs.push_back({{"link_type", i.link_type},
                   {"link_type_name", std::string(link_type_name(i.link_type))},
                   {"snaplen", i.snaplen},
                   {"ts_resolution", resolution_name(i.tsresol)},
                   {"ts_offset", i.tsoffset_sec},
                   {"section", i.section},
                   {"name", i.name}});
  }
  j["interfaces"] = ifs;
  j["packets"] = r.packets;
  json per_lt = json::object();
  for (auto [lt, n] : r.packets_per_link_type) per_lt[std::string(link_type_short_name(lt))] = n;
  j["packets_per_link_type"] = per_lt;
  j["captured_bytes"] = r.captured_bytes;
  j["original_bytes"] = r.original_bytes;
  j["packets_cut_by_snaplen"] = r.truncated_by_snaplen;
  if (r.has_packets()) {
    j["first_ts"] = format_epoch(r.first_ns);
    j["last_ts"] = format_epoch(r.last_ns);
    j["first_time"] = format_iso8601(r.first_ns);
    j["last_time"] = format_iso8601(r.last_ns);
  } else {
    j["first_ts"] = j["last_ts"] = j["first_time"] = j["last_time"] = nullptr;
  }
  j["duration"] = duration_s(r);
  j["out_of_order"] = r.out_of_order;
  json dmg = json::array();
  for (const auto& d : r.summary.damaged) dmg.push_back({{"offset", d.offset}, {"length", d.length}, {"reason", d.reason}});
  j["damaged_regions"] = dmg;
  j["skipped_blocks"] = r.summary.skipped_blocks;
  j["record_anomalies"] = r.record_anomalies;
  j["anomalies"] = anomalies_by_name(r);
  if (!opt.bpf.empty()) {
    json skipped = json::array();
    for (const auto& k : r.bpf_skipped)
      skipped.push_back({{"link_type", k.link_type}, {"message", k.message}, {"packets", k.packets}});
    j["bpf"] = {{"expression", opt.bpf}, {"matched", r.bpf_matched}, {"skipped_link_types", skipped}};
  }
  return j;
}

void print_text(const FileReport& r, const InfoOptions& opt) {
  std::string out;
  auto line = [&](std::string_view k, const std::string& v) { fmt::format_to(std::back_inserter(out), "{:<24}{}\n", k, v); };
  const auto& s = r.summary;
  line("File:", s.path);
  line("Format:", fmt::format("{}{} ({} {}.{}, {})", format_name(s.format),
                              s.compression == Compression::kNone ? "" : fmt::format(", {}-compressed", compression_name(s.compression)),
                              s.format == CaptureFormat::kPcapng ? "pcapng" : "pcap", s.version_major, s.version_minor,
                              s.big_endian ? "big-endian" : "little-endian"));
  line("SHA-256:", r.sha256.empty() ? "(not computed)" : r.sha256);
  line("File size:", s.compression == Compression::kNone ? fmt::format("{} bytes", s.file_bytes)
                                                         : fmt::format("{} bytes ({} decompressed)", s.file_bytes, s.data_bytes));
  if (s.format == CaptureFormat::kPcapng) line("Sections:", std::to_string(s.sections));
  for (std::size_t i = 0; i < s.interfaces.size(); ++i) {
    const auto& itf = s.interfaces[i];
    line(i == 0 ? "Interfaces:" : "",
         fmt::format("#{} {} (linktype {}), snaplen {}, timestamps in {}{}{}", i, link_type_name(itf.link_type), itf.link_type,
                     itf.snaplen, resolution_name(itf.tsresol),
                     itf.tsoffset_sec ? fmt::format(", offset {} s", itf.tsoffset_sec) : "",
                     itf.name.empty() ? "" : ", name " + itf.name));
  }
  line("Packets:", std::to_string(r.packets));
  line("Captured bytes:", std::to_string(r.captured_bytes));
  line("Original bytes:", std::to_string(r.original_bytes));
  if (r.truncated_by_snaplen) line("Cut by snaplen:", fmt::format("{} packets", r.truncated_by_snaplen));
  line("First packet:", r.has_packets() ? format_iso8601(r.first_ns) + " (" + format_epoch(r.first_ns) + ")" : "n/a");
  line("Last packet:", r.has_packets() ? format_iso8601(r.last_ns) + " (" + format_epoch(r.last_ns) + ")" : "n/a");
  line("Duration:", fmt::format("{:.6f} s", duration_s(r)));
  line("Out of order:", fmt::format("{} packets", r.out_of_order));
  line("Damaged regions:", s.damaged.empty() ? "none" : std::to_string(s.damaged.size()));
  for (const auto& d : s.damaged) line("", fmt::format("offset {} length {}: {}", d.offset, d.length, d.reason));
  if (s.skipped_blocks) line("Skipped blocks:", std::to_string(s.skipped_blocks));
  bool first = true;
  for (const auto& [name, n] : r.record_anomalies) {
    line(first ? "Record anomalies:" : "", fmt::format("{} {}", n, name));
    first = false;
  }
  first = true;
  for (const auto& [name, n] : anomalies_by_name(r)) {
    line(first ? "Decode anomalies:" : "", fmt::format("{} {}", n, name));
    first = false;
  }
  if (first) line("Decode anomalies:", "none");
  if (!opt.bpf.empty()) {
    line("Matched --bpf:", fmt::format("{} of {} packets", r.bpf_matched, r.packets));
    for (const auto& k : r.bpf_skipped)
      line("", fmt::format("link type {} ({}): {}; its {} packets not matched", k.link_type, link_type_name(k.link_type),
                           k.message, k.packets));
  }
  Stdout::write(out);
}

int run(InfoOptions opt) {
  opt.reading = reading_options(resolve_config(opt.config), {});
  if (std::count(opt.files.begin(), opt.files.end(), "-") > 1) die("-", "stdin can be read only once");
  // A bad expression is the user's mistake, not a file's: one line before any report.
  if (!opt.bpf.empty()) {
    auto f = BpfFilter::create(opt.bpf);
    if (!f) die("--bpf", f.error().message);
  }
  bool first = true;
  int status = kExitOk;
  // One unreadable file must not hide the report on the others: each is
  // examined, failures are reported (stderr, and a JSON line) and the exit
  // status says something failed.
  for (const auto& path : opt.files) {
    auto inspected = inspect(path, opt);
    if (!inspected) {
      Stdout::flush();
      fmt::print(stderr, "pcapscope: {}: {}\n", path, inspected.error().message);
      if (opt.format == "json") {
        nlohmann::json j = {{"file", path}, {"error", inspected.error().message}};
        Stdout::write(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        Stdout::write("\n");
      }
      status = kExitUsage;
      continue;
    }
    const FileReport& r = *inspected;
    if (opt.format == "json") {
      // Interface names and the like come from the evidence: invalid UTF-8 is
      // replaced, not allowed to abort the report.
      Stdout::write(to_json(r, opt).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      Stdout::write("\n");
    } else {
      if (!first) Stdout::write("\n");
      print_text(r, opt);
    }
    first = false;
  }
  return status;
}

}  // namespace

void add_info_command(CLI::App& app, int& exit_code) {
  auto opt = std::make_shared<InfoOptions>();
  auto* cmd = app.add_subcommand("info", "Describe capture files: format, interfaces, counts, time range, SHA-256, damage");
  cmd->add_option("files", opt->files, "Capture files (pcap, pcapng, gzip/zstd compressed; - for stdin)")->required();
  cmd->add_option("--format", opt->format, "Output format: text, or json (one object per file, one per line)")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--no-hash", opt->no_hash, "Skip the SHA-256 of each file");
  cmd->add_flag("--no-decode", opt->no_decode, "Skip decoding (no decode anomaly counts)");
  add_bpf_option(*cmd, opt->bpf);
  add_config_flags(*cmd, opt->config);
  cmd->get_option("--bpf")->description(
      "Also count the packets this capture filter (tcpdump's language) matches; every other count stays the whole file's");
  cmd->callback([opt, &exit_code] { exit_code = run(*opt); });
}

}  // namespace pcapscope::cli

#include "cli/selection.h"

#include <fmt/format.h>

#include "cli/common.h"

namespace pcapscope::cli {

std::optional<Slice> parse_slice_option(const std::string& text) {
  if (text.empty()) return std::nullopt;
  auto s = parse_slice(text);
  if (!s) die("--slice", s.error().message);
  return *s;
}

Timeline for_each_selected(const std::vector<std::string>& paths, const std::optional<Slice>& slice,
                           const PacketVisitor& visit, const PacketVisitor* every, const OpenOptions& options) {
  SliceRange range;
  if (slice && slice->needs_count()) {
    for (const auto& p : paths)
      if (p == "-") die("--slice", "negative indices or steps need the packet count first, which stdin cannot give twice");
    Timeline counter = open_inputs(paths, options);
    Packet pkt;
    std::int64_t n = 0;
    while (counter.next(pkt)) ++n;
    range = resolve_slice(*slice, n);
  } else {
    range = slice ? resolve_streaming(*slice) : resolve_streaming(Slice{});
  }

  Timeline tl = open_inputs(paths, options);
  SelectionContext ctx;
  ctx.timeline = &tl;
  Packet pkt;
  std::int64_t index = 0;

  if (range.step > 0) {
    for (; tl.next(pkt); ++index) {
      if (index == 0) ctx.first_ts_ns = tl.first_ts_ns();
      if (index >= range.stop) break;
      ctx.selected = range.contains(index);
      if (every) (*every)(pkt, ctx);
      if (ctx.selected) visit(pkt, ctx);
    }
    return tl;
  }

  // Negative step: keep what is selected, then replay it backwards.
  struct Kept {
    Packet pkt;
    std::vector<std::uint8_t> bytes;
  };
  std::vector<Kept> kept;
  for (; tl.next(pkt); ++index) {
    if (index == 0) ctx.first_ts_ns = tl.first_ts_ns();
    if (index > range.start) break;
    ctx.selected = range.contains(index);
    if (every) (*every)(pkt, ctx);
    if (!ctx.selected) continue;
    kept.push_back({pkt, std::vector<std::uint8_t>(pkt.data.begin(), pkt.data.end())});
  }
  for (auto it = kept.rbegin(); it != kept.rend(); ++it) {
    it->pkt.data = Bytes(it->bytes);
    visit(it->pkt, ctx);
  }
  return tl;
}

void report_damage(const Timeline& tl) {
  // A few lines name the places; a file that is mostly garbage must not bury
  // the output under thousands of them.
  constexpr std::size_t kShown = 10;
  for (std::size_t f = 0; f < tl.file_count(); ++f) {
    const auto& s = tl.summary(f);
    for (std::size_t i = 0; i < s.damaged.size() && i < kShown; ++i) {
      const auto& d = s.damaged[i];
      fmt::print(stderr, "pcapscope: {}: damaged region at offset {} ({} bytes, {}) skipped\n", s.path, d.offset, d.length,
                 d.reason);
    }
    if (s.damaged.size() > kShown)
      fmt::print(stderr, "pcapscope: {}: {} more damaged regions skipped ('pcapscope info' lists them all)\n", s.path,
                 s.damaged.size() - kShown);
  }
  if (!tl.has_bpf()) return;
  for (const auto& skipped : tl.bpf_skipped_link_types())
    fmt::print(stderr, "pcapscope: --bpf: link type {} ({}): {}; its {} packets were rejected\n", skipped.link_type,
               link_type_name(skipped.link_type), skipped.message, skipped.packets);
  const std::uint64_t read = tl.packets_read();
  fmt::print(stderr, "pcapscope: --bpf: {} of {} packets read matched\n", read - tl.bpf_rejected(), read);
}

}  // namespace pcapscope::cli

// Walking the packets a --slice selects, over one timeline of inputs.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/slice.h"
#include "pcapscope/capture.h"

namespace pcapscope::cli {

struct SelectionContext {
  std::int64_t first_ts_ns = 0;  // timestamp of the timeline's frame 1 (whether or not --bpf passed it)
  const Timeline* timeline = nullptr;
  bool selected = false;         // for EVERY (below): whether VISIT will see this packet too
};

// Calls VISIT(packet, context) for each packet SLICE selects, in slice order.
// Positive steps stream and stop reading at STOP; negative indices cost one
// counting pass first (so they need real files, not stdin); negative steps
// keep copies of the selected packets to emit them in reverse.
// Returns the timeline (for its summaries) after the walk.
// EVERY, when given, sees each packet read (selected or not, in file order)
// before VISIT does: stages that need the whole history, such as session
// tracking for a packet's uid, run there.
// OPTIONS (reading_options()) open the inputs; their BPF (--bpf) filters the timeline first: SLICE indexes the packets it passes,
// in their order, and neither visitor sees the others.
using PacketVisitor = std::function<void(const Packet&, const SelectionContext&)>;
Timeline for_each_selected(const std::vector<std::string>& paths, const std::optional<Slice>& slice,
                           const PacketVisitor& visit, const PacketVisitor* every = nullptr,
                           const OpenOptions& options = {});

// Parses --slice or dies with a usage error.
std::optional<Slice> parse_slice_option(const std::string& text);

// Reports damage found in the inputs on stderr (one line per region) so a
// carve or a listing never hides that part of the evidence was unreadable;
// under --bpf also how many packets it passed, and the link types it could
// not be compiled for, so a short result is not mistaken for a short capture.
void report_damage(const Timeline& tl);

}  // namespace pcapscope::cli

// Several capture files read as one timeline.
//
// A k-way merge on (head timestamp, file index): ties go to the earlier file,
// and a file's own packets always come out in its own order, even where its
// timestamps go backwards, because only its current head competes.
#include <algorithm>

#include "capture/bpf_filter.h"
#include "pcapscope/capture.h"

namespace pcapscope {
namespace {

constexpr std::size_t kNone = static_cast<std::size_t>(-1);

}  // namespace

Timeline::~Timeline() = default;
Timeline::Timeline(Timeline&&) noexcept = default;
Timeline& Timeline::operator=(Timeline&&) noexcept = default;

Result<Timeline> Timeline::open(const std::vector<std::string>& paths, const OpenOptions& options) {
  Timeline t;
  // The expression is checked before any file is touched: a typo is reported
  // as such even when the input is empty or unreadable.
  if (!options.bpf.empty()) {
    auto filter = BpfFilter::create(options.bpf);
    if (!filter) return Error{"--bpf: " + filter.error().message};
    t.bpf_ = std::move(filter).value();
  }
  for (const std::string& path : paths) {
    auto reader = CaptureReader::open(path, options);
    if (!reader) return Error{path + ": " + reader.error().message};
    t.readers_.push_back(std::move(*reader));
  }
  t.heads_.resize(t.readers_.size());
  t.interface_map_.resize(t.readers_.size());
  // Interfaces known at open (pcap's one, pcapng's leading IDBs) get global
  // numbers in file order; ones that appear later are appended as met.
  for (std::size_t f = 0; f < t.readers_.size(); ++f) {
    std::size_t n = t.readers_[f]->summary().interfaces.size();
    for (std::size_t i = 0; i < n; ++i) t.global_interface(f, static_cast<std::uint32_t>(i));
    // A file's first interface is its main link type: an expression that
    // cannot apply to it is a mistake worth stopping for. Interfaces declared
    // later get their program when their first packet comes.
    if (t.bpf_ && n > 0) {
      const Interface& first = t.readers_[f]->summary().interfaces[0];
      auto ready = t.bpf_->prepare(first.link_type, first.snaplen);
      if (!ready) return Error{"--bpf: " + paths[f] + ": " + ready.error().message};
    }
  }
  return t;
}

std::vector<BpfSkippedLinkType> Timeline::bpf_skipped_link_types() const {
  return bpf_ ? bpf_->skipped_link_types() : std::vector<BpfSkippedLinkType>{};
}

std::uint32_t Timeline::global_interface(std::size_t file, std::uint32_t local) {
  std::vector<std::uint32_t>& map = interface_map_[file];
  if (local < map.size()) return map[local];  // every packet but an interface's first
  const std::vector<Interface>& known = readers_[file]->summary().interfaces;
  while (map.size() <= local && map.size() < known.size()) {
    map.push_back(static_cast<std::uint32_t>(interfaces_.size()));
    interfaces_.push_back(known[map.size() - 1]);
  }
  return local < map.size() ? map[local] : local;
}

void Timeline::advance(std::size_t file) {
  Head& h = heads_[file];
  h.valid = readers_[file]->next(h.packet);
  if (h.valid) {
    h.packet.source = static_cast<std::uint32_t>(file);
    h.packet.interface = global_interface(file, h.packet.interface);
  }
}

bool Timeline::next(Packet& out) {
  if (!bpf_) return next_unfiltered(out);
  // Rejected packets keep the frame number they were given, so the ones
  // passed are numbered as in the evidence (tshark -Y does the same).
  while (next_unfiltered(out)) {
    const std::uint32_t snaplen = out.interface < interfaces_.size() ? interfaces_[out.interface].snaplen : 0;
    if (bpf_->matches(out, snaplen)) return true;
    ++bpf_rejected_;
  }
  return false;
}

bool Timeline::next_unfiltered(Packet& out) {
  // Min-heap order: a "greater" comparator puts the smallest (ts, file) on top.
  auto later = [this](std::uint32_t a, std::uint32_t b) {
    const Packet& pa = heads_[a].packet;
    const Packet& pb = heads_[b].packet;
    return pa.ts_ns != pb.ts_ns ? pa.ts_ns > pb.ts_ns : a > b;
  };
  if (!started_) {
    started_ = true;
    for (std::size_t f = 0; f < readers_.size(); ++f) {
      advance(f);
      if (heads_[f].valid) heap_.push_back(static_cast<std::uint32_t>(f));
    }
    std::make_heap(heap_.begin(), heap_.end(), later);
  } else if (pending_ != kNone) {
    advance(pending_);
    if (heads_[pending_].valid) {
      heap_.push_back(static_cast<std::uint32_t>(pending_));
      std::push_heap(heap_.begin(), heap_.end(), later);
    }
    pending_ = kNone;
  }
  if (heap_.empty()) return false;
  std::pop_heap(heap_.begin(), heap_.end(), later);
  std::uint32_t f = heap_.back();
  heap_.pop_back();
  out = heads_[f].packet;
  out.frame = ++frame_;
  if (frame_ == 1) first_ts_ns_ = out.ts_ns;
  pending_ = f;
  return true;
}

}  // namespace pcapscope

#include "cli/frame_annotator.h"

namespace pcapscope::cli {

FrameAnnotator::FrameAnnotator(const SessionOptions& options, bool want_uid, bool want_app)
    : want_uid_(want_uid), want_app_(want_app) {
  if (!active()) return;
  SessionOptions so = options;
  so.reassemble = want_app;  // uids alone need the flow table only
  if (want_app) {
    ProtocolOptions popt;
    popt.frame_fields = true;
    stage_ = std::make_unique<ProtocolStage>(popt, this);
  }
  sessions_ = std::make_unique<SessionTable>(so, stage_.get());
}

void FrameAnnotator::observe(const Packet& pkt, bool selected) {
  decode(pkt, tracked_);
  current_selected_ = selected;
  current_frame_ = pkt.frame;
  const SessionRecord* r = sessions_->process(tracked_);
  if (r && selected && want_uid_) found_[pkt.frame].uid = r->uid;
}

void FrameAnnotator::on_frame_field(std::uint64_t frame, const FieldDef& f, const FieldValue& v) {
  // A message completed by a later packet of the session reports that packet's frame.
  if (current_selected_ && frame == current_frame_) found_[frame].app.add(f, v);
}

void FrameAnnotator::attach(const Packet& pkt, DecodedPacket& dec) {
  if (found_.empty()) return;
  auto it = found_.find(pkt.frame);
  if (it == found_.end()) return;
  if (it->second.uid[0] != '\0') dec.session_uid = it->second.uid.data();
  if (!it->second.app.empty()) dec.app = &it->second.app;
}

void FrameAnnotator::release(const Packet& pkt) {
  if (!found_.empty()) found_.erase(pkt.frame);
}

}  // namespace pcapscope::cli

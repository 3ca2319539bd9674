// What the session and protocol stages know about a frame that decoding
// alone does not: its session's uid and its application fields (dns.qry.name
// ...). `packets` prints them, `--filter` tests them, `export --sessions`
// groups by uid. Both need the stages run over every packet read, selected
// or not (a session starts where it starts), which is what observe() does
// from for_each_selected's EVERY visitor.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "pcapscope/decode.h"
#include "pcapscope/fields.h"
#include "pcapscope/proto.h"
#include "pcapscope/session.h"

namespace pcapscope::cli {

class FrameAnnotator final : public ProtocolObserver {
 public:
  // Neither wanted: inactive, observe() is never needed.
  FrameAnnotator(const SessionOptions& options, bool want_uid, bool want_app);
  bool active() const { return want_uid_ || want_app_; }

  // Runs the stages over PKT; keeps what they found when SELECTED (the frame
  // will be visited). Application fields land on the frame that completed
  // their message, as tshark shows them.
  void observe(const Packet& pkt, bool selected);
  // Attaches what was found for PKT's frame to DEC (decoded from PKT).
  void attach(const Packet& pkt, DecodedPacket& dec);
  // Forgets PKT's frame once it has been visited.
  void release(const Packet& pkt);

  // The protocol stage's per-frame fields (ProtocolObserver).
  void on_frame_field(std::uint64_t frame, const FieldDef& f, const FieldValue& v) override;

 private:

  struct Found {
    std::array<char, 20> uid{};
    AppFieldValues app;
  };
  bool want_uid_, want_app_;
  std::unique_ptr<ProtocolStage> stage_;
  std::unique_ptr<SessionTable> sessions_;
  DecodedPacket tracked_;
  // Selected frames read and not yet visited: one at a time for forward
  // slices, the whole selection for reversed ones.
  std::unordered_map<std::uint64_t, Found> found_;
  bool current_selected_ = false;
  std::uint64_t current_frame_ = 0;
};

}  // namespace pcapscope::cli

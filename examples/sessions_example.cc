// Sessions and their bytes: prints one line per conversation (Zeek conn.log
// meaning) and how many payload bytes each TCP direction delivered after
// reassembly.
//
// build: see tests/CMakeLists.txt (target pcapscope_sessions_example)
// run:   pcapscope_sessions_example CAPTURE...
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "pcapscope/pcapscope.h"

// Receives one direction's bytes in order, retransmissions and overlaps
// resolved; gaps are announced instead of silently skipped.
class ByteCounter final : public pcapscope::session::StreamReceiver {
 public:
  void on_data(std::uint64_t, pcapscope::Bytes data, std::uint64_t) override { bytes += data.size(); }
  void on_gap(std::uint64_t, std::uint64_t len) override { missing += len; }
  std::uint64_t bytes = 0, missing = 0;
};

class Printer final : public pcapscope::SessionObserver {
 public:
  // Called when a TCP session starts carrying payload: where its bytes go.
  pcapscope::session::StreamReceiver* stream_receiver(const pcapscope::SessionRecord& r, bool orig) override {
    return &streams_[r.index][orig ? 0 : 1];
  }
  // Called once per session, when it ends (FIN/RST seen and idle, timeout, end of input).
  void on_session_end(const pcapscope::SessionRecord& r) override {
    std::printf("%s %s %s:%u -> %s:%u %s %s", r.uid_view().data(), pcapscope::transport_name(r.proto).data(),
                r.orig_h.to_string().c_str(), r.orig_p, r.resp_h.to_string().c_str(), r.resp_p,
                pcapscope::conn_state_name(r.conn_state).data(), r.history_view().data());
    if (auto it = streams_.find(r.index); it != streams_.end()) {
      std::printf(" delivered %llu/%llu bytes", static_cast<unsigned long long>(it->second[0].bytes),
                  static_cast<unsigned long long>(it->second[1].bytes));
      streams_.erase(it);
    }
    std::printf("\n");
  }

 private:
  std::map<std::uint64_t, ByteCounter[2]> streams_;
};

int main(int argc, char** argv) {
  auto timeline = pcapscope::Timeline::open(std::vector<std::string>(argv + 1, argv + argc));
  if (!timeline) {
    std::fprintf(stderr, "error: %s\n", timeline.error().message.c_str());
    return 2;
  }
  // Timeouts, caps and memory limits from PCAPSCOPE_* variables (defaults otherwise).
  auto options = pcapscope::session_options_from_env();
  if (!options) {
    std::fprintf(stderr, "error: %s\n", options.error().message.c_str());
    return 2;
  }
  Printer printer;
  pcapscope::SessionTable sessions(options.value(), &printer);
  pcapscope::Packet packet;
  pcapscope::DecodedPacket decoded;
  while (timeline->next(packet)) {
    pcapscope::decode(packet, decoded);
    sessions.process(decoded);  // returns the packet's live session record (or nullptr)
  }
  sessions.finish();  // sessions still open end here
  std::printf("sessions: %llu\n", static_cast<unsigned long long>(sessions.stats().sessions));
  return 0;
}

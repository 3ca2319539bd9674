// The session stage on several threads, with the records one thread gives.
//
// The caller's thread reads, decodes and reassembles IP fragments (one
// reassembler for the whole capture, so fragment limits act as with one
// thread) and keeps the sessions of tunnels themselves (a packet in a GRE
// tunnel is part of the tunnel's session and of its inner one, and an inner
// session may cross several tunnels: SessionTable::process_outer_levels).
// It appends each packet to a batch with the shard of its innermost level,
// a hash of that level's address pair, the same in both directions, so every
// packet of a session meets in one worker. Every worker reads every batch:
// it moves its clock with every packet (sessions time out at the packet they
// would with one table) and processes the packets of its shard with its own
// SessionTable and ProtocolStage.
//
// What must not depend on the thread count is the order of records. A
// worker notes, per batch, the sessions it started (first frame, local
// index); when every worker has finished a batch, the caller numbers those
// sessions in frame order, which is the order one table would have started
// them in, and hands the records that ended to OUT with that global index.
// `sessions` writes in start order by that index, so its output is the
// single-threaded one byte for byte. What still differs with N workers is
// only what happens when a cap binds: each table has 1/N of the live-session
// and stream-reassembly limits.
#pragma once

#include <memory>

#include "pcapscope/proto.h"
#include "pcapscope/session.h"

namespace pcapscope::cli {

class ShardedSessionsImpl;

class ShardedSessions {
 public:
  // OUT (called on the caller's thread only) receives on_session_end for
  // every session, with index set to the global start order, and on_anomaly
  // for every anomaly (the packet is empty for those a worker found).
  // PROTOCOLS: run the protocol stage (fills service) in each worker.
  ShardedSessions(unsigned workers, const SessionOptions& options, bool protocols, SessionObserver& out);
  ~ShardedSessions();
  ShardedSessions(const ShardedSessions&) = delete;
  ShardedSessions& operator=(const ShardedSessions&) = delete;

  void add(const Packet& pkt);
  // End of input: every worker ends its live sessions; their records follow.
  void finish();
  // The workers' statistics summed (the defragmenting table's fragment counts included).
  SessionStats stats() const;

 private:
  std::unique_ptr<ShardedSessionsImpl> impl_;
};

}  // namespace pcapscope::cli

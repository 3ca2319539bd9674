// The session and protocol stages on several threads, with the records, in
// the order, that one thread gives.
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
// With one worker nothing is sharded: the caller's thread only reads and
// batches, and the worker runs SessionTable::process on whole packets (a
// two-stage pipeline). Commands give N-1 workers for -j N: the caller's
// thread is the N-th.
//
// What must not depend on the thread count is what comes out, and in which
// order: `analyze` streams records as they come and its detectors see them
// in that order. Each table (the workers' and the reader's) records what it
// emits in groups: what ended idle before a packet, keyed by the sessions'
// end order (SessionRecord::idle_ns, idle_frame, level: one table ends its
// due sessions in that order too); what the packet itself caused; what
// ended at the end of input. When every worker has finished a batch, the
// caller merges the groups by (packet, phase, key; the reader's outer levels
// before a worker's inner one) and replays them to its observers, numbering
// sessions in the order they started. That is the order one SessionTable
// with one ProtocolStage emits in, so the output is the single-threaded one
// byte for byte. What still differs with N workers is only what happens
// when a cap binds (each table has 1/N of the live-session and stream
// reassembly limits) and, in a capture whose timestamps jump back more than
// the list walk allows (SessionTable's kMaxWalk), the order of ends.
#pragma once

#include <functional>
#include <memory>

#include "pcapscope/proto.h"
#include "pcapscope/session.h"

namespace pcapscope::cli {

class ShardedSessionsImpl;

struct ShardedOutputs {
  // on_session_end for every session, index set to the global start order;
  // on_anomaly (with an empty packet); on_packet for the packets WANTS_PACKET keeps.
  SessionObserver* sessions = nullptr;
  // Protocol records and problems (null: not kept).
  ProtocolObserver* records = nullptr;
  // Which packets reach sessions->on_packet, asked on the workers' threads (so
  // it must only read): the packet is copied and decoded again on the caller's.
  std::function<bool(const SessionRecord&, const DecodedPacket&, bool from_orig)> wants_packet;
};

class ShardedSessions {
 public:
  // OUT is called on the caller's thread only, from add() and finish().
  // PROTOCOLS: run the protocol stage (fills service, makes records) in each worker.
  ShardedSessions(unsigned workers, const SessionOptions& options, bool protocols, ShardedOutputs out);
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

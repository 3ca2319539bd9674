// Writers for session (conn) records: aligned text for people, JSON Lines
// and CSV for machines, and Zeek's TSV log format so zeek-cut and every tool
// that reads Zeek logs reads ours.
//
// Field names and the rule for unset values follow Zeek's conn.log:
// duration, orig_bytes and resp_bytes are unset when the duration is zero,
// service and history when empty. JSON omits unset fields, as Zeek's JSON
// writer does, so a SIEM's Zeek parser needs no mapping; CSV leaves them
// empty and Zeek TSV writes "-".
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pcapscope/session.h"

namespace pcapscope {

enum class RecordFormat { kText, kJson, kCsv, kZeek };

struct SessionWriterOptions {
  RecordFormat format = RecordFormat::kText;
  std::int64_t open_ts_ns = 0;        // Zeek's #open line (the first packet's time: output is reproducible)
  std::uint16_t community_id_seed = 0;
};

class SessionWriter {
 public:
  virtual ~SessionWriter() = default;
  virtual void begin(std::string& out) = 0;
  virtual void write(const SessionRecord& r, std::string& out) = 0;
  virtual void end(std::string& out) = 0;
};

std::unique_ptr<SessionWriter> make_session_writer(const SessionWriterOptions& opt);

// The conn fields in Zeek's order with our additions, for --sort and docs.
struct SessionField {
  std::string_view name;
  std::string_view zeek_type;  // "time", "addr", "count" ...
  std::string_view description;
};
const std::vector<SessionField>& session_fields();

// Ordering by one field (ascending). Null when NAME is not a sortable field.
using SessionLess = std::function<bool(const SessionRecord&, const SessionRecord&)>;
SessionLess session_sort(std::string_view name);

// Names of the session_flag bits set in FLAGS ("timed_out", "evicted" ...).
std::vector<std::string_view> session_flag_names(std::uint16_t flags);

}  // namespace pcapscope

// Writers for the protocol stage's records (dns.log, http.log, ssl.log,
// ssh.log) in the formats of RecordFormat, with the conventions of
// session_writer.h: field names and order are Zeek's; unset fields are
// omitted in JSON, empty in CSV and "-" in Zeek TSV; times and intervals
// are seconds with microseconds.
//
// Our additions to Zeek's fields: http.log carries request_content_type and
// response_content_type (the Content-Type headers as sent) where Zeek has
// orig_mime_types/resp_mime_types, which come from sniffing the bodies with
// libmagic; we do not sniff, and the header is what the peer claimed, which
// is what an analyst compares a body against. ssl.log carries ja3, ja3s and
// ja4 as the common Zeek packages add them.
//
// Fields we do not log yet (Zeek logs them when it can): ssl.log curve,
// resumed, last_alert, cert chains; ssh.log host_key; http.log tags, files,
// info_code. ssh.log direction needs local networks and is always unset.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "output/session_writer.h"
#include "pcapscope/proto.h"

namespace pcapscope {

enum class ProtoLog : std::uint8_t { kDns, kHttp, kSsl, kSsh };

// Zeek's #path: "dns", "http", "ssl", "ssh".
std::string_view proto_log_path(ProtoLog log);

struct ProtoWriterOptions {
  RecordFormat format = RecordFormat::kText;
  std::int64_t open_ts_ns = 0;  // Zeek's #open line (the first packet's time: output is reproducible)
};

// Writes the records of one log; records of the other logs are ignored, so
// a ProtocolObserver can hand every record to the writer it has.
class ProtoWriter {
 public:
  virtual ~ProtoWriter() = default;
  virtual void begin(std::string& out) = 0;
  virtual void write(const DnsLogRecord&, std::string&) {}
  virtual void write(const HttpLogRecord&, std::string&) {}
  virtual void write(const SslLogRecord&, std::string&) {}
  virtual void write(const SshLogRecord&, std::string&) {}
  virtual void end(std::string& out) = 0;
};

std::unique_ptr<ProtoWriter> make_proto_writer(ProtoLog log, const ProtoWriterOptions& opt);

// A log's fields in output order, for docs and --help.
struct ProtoField {
  std::string_view name;
  std::string_view zeek_type;  // "time", "addr", "vector[string]" ...
  std::string_view description;
};
std::vector<ProtoField> proto_fields(ProtoLog log);

}  // namespace pcapscope

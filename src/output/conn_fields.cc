// conn.log as a field table (logschema::Schema), for the consumers that read
// records field by field: the filter language (--where) and SQL tables. The
// four conn writers stay hand-unrolled for speed (session_writer.cc); the
// test in output_conn_fields_test.cc keeps both in step with session_fields().
#include <fmt/format.h>

#include "output/proto_log_schema.h"
#include "output/session_writer.h"

namespace pcapscope::logschema {
namespace {

using V = Value;
using R = SessionRecord;

}  // namespace

const Schema<SessionRecord>& conn_schema() {
  static const Schema<R> kSchema = [] {
    Schema<R> s{"conn", {}, {}};
    // Getters by name, descriptions and order from session_fields(): one list of names.
    const std::pair<std::string_view, void (*)(const R&, V&, std::string&)> getters[] = {
        {"ts", [](const R& r, V& v, std::string&) { v.set_time(r.ts_ns); }},
        {"uid", [](const R& r, V& v, std::string&) { v.set_string(r.uid_view()); }},
        {"id.orig_h", [](const R& r, V& v, std::string&) { v.set_addr(r.orig_h); }},
        {"id.orig_p", [](const R& r, V& v, std::string&) { v.set_port(r.orig_p); }},
        {"id.resp_h", [](const R& r, V& v, std::string&) { v.set_addr(r.resp_h); }},
        {"id.resp_p", [](const R& r, V& v, std::string&) { v.set_port(r.resp_p); }},
        {"proto", [](const R& r, V& v, std::string&) { v.set_enum(transport_name(r.proto)); }},
        {"service", [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.service); }},
        {"duration",
         [](const R& r, V& v, std::string&) {
           if (r.has_duration()) v.set_interval(r.duration_ns());
         }},
        {"orig_bytes",
         [](const R& r, V& v, std::string&) {
           if (r.has_duration()) v.set_count(r.orig_bytes);
         }},
        {"resp_bytes",
         [](const R& r, V& v, std::string&) {
           if (r.has_duration()) v.set_count(r.resp_bytes);
         }},
        {"conn_state", [](const R& r, V& v, std::string&) { v.set_enum(conn_state_name(r.conn_state)); }},
        {"local_orig", [](const R&, V&, std::string&) {}},
        {"local_resp", [](const R&, V&, std::string&) {}},
        {"missed_bytes", [](const R& r, V& v, std::string&) { v.set_count(r.missed_bytes); }},
        {"history", [](const R& r, V& v, std::string&) { v.set_string_or_unset(r.history_view()); }},
        {"orig_pkts", [](const R& r, V& v, std::string&) { v.set_count(r.orig_pkts); }},
        {"orig_ip_bytes", [](const R& r, V& v, std::string&) { v.set_count(r.orig_ip_bytes); }},
        {"resp_pkts", [](const R& r, V& v, std::string&) { v.set_count(r.resp_pkts); }},
        {"resp_ip_bytes", [](const R& r, V& v, std::string&) { v.set_count(r.resp_ip_bytes); }},
        // Sets of at most one element (a session has one enclosing tunnel): the uid itself.
        {"tunnel_parents",
         [](const R& r, V& v, std::string&) {
           if (r.tunnel_parent[0]) v.set_string(r.tunnel_parent.data());
         }},
        {"ip_proto", [](const R& r, V& v, std::string&) { v.set_count(r.ip_proto); }},
        {"community_id",
         [](const R& r, V& v, std::string& sc) {
           sc = community_id(r);
           v.set_string(sc);
         }},
        {"first_frame", [](const R& r, V& v, std::string&) { v.set_count(r.first_frame); }},
        {"last_frame", [](const R& r, V& v, std::string&) { v.set_count(r.last_frame); }},
        {"tunnel",
         [](const R& r, V& v, std::string&) {
           if (r.tunnel != Proto::kNone) v.set_enum(proto_name(r.tunnel));
         }},
        // The flag names joined by commas, as Zeek's TSV writes a set.
        {"flags",
         [](const R& r, V& v, std::string& sc) {
           sc.clear();
           for (std::string_view n : session_flag_names(r.flags)) {
             if (!sc.empty()) sc += ',';
             sc += n;
           }
           v.set_string_or_unset(sc);
         }},
    };
    for (const SessionField& f : session_fields()) {
      for (const auto& [name, get] : getters) {
        if (name == f.name) s.fields.push_back({f.name, f.zeek_type, f.description, get});
      }
    }
    return s;
  }();
  return kSchema;
}

}  // namespace pcapscope::logschema

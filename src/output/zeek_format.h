// Formatting shared by the record writers (session_writer, proto_writer):
// Zeek's time and interval form, the Zeek TSV preamble, and the escaping
// each output format needs for strings that come off the wire.
//
// Strings from packets (URIs, user agents, banners, DNS names) are hostile
// input: a tab would shift every later Zeek column, a newline would forge a
// record, a stray byte would break a JSON parser. Each format escapes them
// the way Zeek's writer for that format does, so tools that read Zeek logs
// read ours unchanged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "pcapscope/session.h"

namespace pcapscope {

// Zeek's time and interval form: seconds with microseconds ("1700000000.123456",
// "-0.500000"), exact for nanosecond epochs.
void append_seconds_us(std::string& out, std::int64_t ns);

// Zeek's "%Y-%m-%d-%H-%M-%S" form for #open and #close.
std::string zeek_date(std::int64_t ns);

// "#separator \x09" ... "#path\tPATH\n#open\tDATE\n": the caller appends #fields and #types.
void append_zeek_preamble(std::string& out, std::string_view path, std::int64_t open_ts_ns);
// "#close\tDATE\n".
void append_zeek_close(std::string& out, std::int64_t ts_ns);

// A set string value in Zeek TSV, as Zeek's ASCII writer escapes it: empty is
// "(empty)"; a value equal to "-" or "(empty)" gets its first byte escaped; the
// separator (tab), backslash, control bytes and bytes that are not valid UTF-8
// become \xHH. IN_CONTAINER: an element of a set or vector, where the set
// separator (',') is escaped too.
void append_zeek_string(std::string& out, std::string_view s, bool in_container = false);

// S as a JSON string with its quotes, as Zeek's JSON writer escapes it: quote,
// backslash and control bytes in JSON's escapes; bytes that are not valid
// UTF-8 as the six characters \\xHH, so the line stays valid UTF-8 JSON.
void append_json_string(std::string& out, std::string_view s);

// S for a terminal or a CSV cell: control bytes and bytes that are not valid
// UTF-8 become \xHH; everything else, including valid UTF-8, stays.
void append_printable(std::string& out, std::string_view s);

// Text-output pieces shared by the session and protocol record writers.
std::string text_time(std::int64_t ns);  // ISO 8601 to the microsecond
std::string text_endpoint(const IpAddress& a, std::uint16_t port, Transport t);  // "10.0.0.1:80", "[::1]:80"

}  // namespace pcapscope

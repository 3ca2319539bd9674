// Alerts as JSON Lines (the `alert` record of docs/output.md), CSV, and the
// blocks of the text report.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "detect/alert.h"

namespace pcapscope {

// One JSON object, no newline: {"record":"alert","ts":...,"detector":...}.
// Strings from the wire (domains, user names) are escaped as Zeek's JSON writer does.
void append_alert_json(std::string& out, const detect::Alert& a);

// CSV: a header line, then one line per alert (extra keys folded into one "extra" cell as key=value;...).
void append_alert_csv_header(std::string& out);
void append_alert_csv(std::string& out, const detect::Alert& a);

// A few lines for people: severity, detector, when, who, the message, extra facts, evidence.
void append_alert_text(std::string& out, const detect::Alert& a);

// Order of the report: most severe first, then earliest.
bool alert_report_less(const detect::Alert& a, const detect::Alert& b);

// The alert record's fixed keys, for docs and the schema test.
struct AlertKey {
  std::string_view name, json_type, description;
};
const std::vector<AlertKey>& alert_keys();

}  // namespace pcapscope

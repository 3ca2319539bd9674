// `pcapscope fields [PREFIX]`: the field names packets/--fields (and later
// filters) accept, as `tshark -G fields` lists them.
// `pcapscope fields --records [RECORD]`: the keys of analyze's records
// (conn, dns, http, ssl, ssh, alert, evidence), from the same tables the
// writers use; docs/output.md embeds the markdown form, and a test checks
// both that the doc is current and that every JSON line follows it.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

#include "cli/common.h"
#include "output/alert_writer.h"
#include "output/proto_writer.h"
#include "output/report.h"
#include "output/session_writer.h"
#include "pcapscope/fields.h"

namespace pcapscope::cli {
namespace {

std::string_view type_name(FieldType t) {
  switch (t) {
    case FieldType::kBool: return "bool";
    case FieldType::kUInt: return "uint";
    case FieldType::kInt: return "int";
    case FieldType::kDouble: return "double";
    case FieldType::kTime: return "time";
    case FieldType::kIpv4: return "ipv4";
    case FieldType::kIpv6: return "ipv6";
    case FieldType::kMac: return "mac";
    case FieldType::kBytes: return "bytes";
    case FieldType::kString: return "string";
  }
  return "?";
}

// How Zeek's JSON writer renders each Zeek type.
std::string_view json_type(std::string_view zeek) {
  if (zeek == "time" || zeek == "interval" || zeek == "double") return "number";
  if (zeek == "count" || zeek == "port" || zeek == "int") return "integer";
  if (zeek == "bool") return "boolean";
  if (zeek.starts_with("vector[") || zeek.starts_with("set[")) return "array";
  return "string";  // addr, string, enum, subnet
}

struct RecordKey {
  std::string record, name, json_type, description;
};

std::vector<RecordKey> record_keys() {
  std::vector<RecordKey> out;
  out.push_back({"conn", "record", "string", "always \"conn\""});
  for (const SessionField& f : session_fields()) {
    out.push_back({"conn", std::string(f.name), std::string(json_type(f.zeek_type)), std::string(f.description)});
  }
  for (ProtoLog log : {ProtoLog::kDns, ProtoLog::kHttp, ProtoLog::kSsl, ProtoLog::kSsh}) {
    const std::string rec(proto_log_path(log));
    out.push_back({rec, "record", "string", fmt::format("always \"{}\"", rec)});
    for (const ProtoField& f : proto_fields(log)) {
      out.push_back({rec, std::string(f.name), std::string(json_type(f.zeek_type)), std::string(f.description)});
    }
  }
  for (const AlertKey& k : alert_keys()) {
    out.push_back({"alert", std::string(k.name), std::string(k.json_type), std::string(k.description)});
  }
  for (const EvidenceKey& k : evidence_keys()) {
    out.push_back({"evidence", std::string(k.name), std::string(k.json_type), std::string(k.description)});
  }
  return out;
}

void list_records(const std::string& only, const std::string& format) {
  std::string out, current;
  unsigned n = 0;
  for (const RecordKey& k : record_keys()) {
    if (!only.empty() && k.record != only) continue;
    ++n;
    if (format == "json") {
      fmt::format_to(std::back_inserter(out), "{{\"record\":\"{}\",\"key\":\"{}\",\"type\":\"{}\"}}\n", k.record, k.name,
                     k.json_type);
    } else if (format == "markdown") {
      if (k.record != current) {
        fmt::format_to(std::back_inserter(out), "{}### `{}`\n\n| key | JSON type | meaning |\n|---|---|---|\n",
                       current.empty() ? "" : "\n", k.record);
        current = k.record;
      }
      std::string desc = k.description;
      for (std::size_t p = desc.find('|'); p != std::string::npos; p = desc.find('|', p + 2)) desc.replace(p, 1, "\\|");
      fmt::format_to(std::back_inserter(out), "| `{}` | {} | {} |\n", k.name, k.json_type, desc);
    } else {
      fmt::format_to(std::back_inserter(out), "{:<9} {:<26} {:<17} {}\n", k.record, k.name, k.json_type,
                     k.description);
    }
  }
  if (n == 0) die("fields", fmt::format("no record named \"{}\" (conn, dns, http, ssl, ssh, alert, evidence)", only));
  Stdout::write(out);
}

struct FieldsOptions {
  std::string prefix;
  bool records = false;
  std::string format = "text";
};

}  // namespace

void add_fields_command(CLI::App& app, int& exit_code) {
  auto opt = std::make_shared<FieldsOptions>();
  auto* cmd = app.add_subcommand(
      "fields", "List the packet field names (Wireshark's) that --fields accepts, or with --records the keys of "
                "analyze's records");
  cmd->add_option("prefix", opt->prefix,
                  "Only fields whose name starts with this (e.g. tcp. or ip.); with --records: one record (conn, "
                  "dns, http, ssl, ssh, alert, evidence)");
  cmd->add_flag("--records", opt->records, "List record keys (analyze --format jsonl, docs/output.md) instead");
  cmd->add_option("--format", opt->format, "With --records: text, json or markdown")
      ->check(CLI::IsMember({"text", "json", "markdown"}));
  cmd->callback([opt, &exit_code] {
    exit_code = kExitOk;
    if (opt->records) {
      list_records(opt->prefix, opt->format);
      return;
    }
    std::string out;
    unsigned n = 0;
    for (const FieldDef& f : all_fields()) {
      if (!f.name.starts_with(opt->prefix)) continue;
      fmt::format_to(std::back_inserter(out), "{:<36} {:<7} {:<6} {}\n", f.name, type_name(f.type), proto_name(f.layer),
                     f.description);
      ++n;
    }
    if (n == 0) die("fields", "no field name starts with \"" + opt->prefix + "\"");
    Stdout::write(out);
  });
}

}  // namespace pcapscope::cli

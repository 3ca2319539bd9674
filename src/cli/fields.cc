// `pcapscope fields [PREFIX]`: the field names packets/--fields (and later
// filters) accept, as `tshark -G fields` lists them.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>
#include <string>

#include "cli/common.h"
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

}  // namespace

void add_fields_command(CLI::App& app, int& exit_code) {
  auto prefix = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand("fields", "List the field names (Wireshark's) that --fields accepts, with type and meaning");
  cmd->add_option("prefix", *prefix, "Only fields whose name starts with this (e.g. tcp. or ip.)");
  cmd->callback([prefix, &exit_code] {
    std::string out;
    unsigned n = 0;
    for (const FieldDef& f : all_fields()) {
      if (!f.name.starts_with(*prefix)) continue;
      fmt::format_to(std::back_inserter(out), "{:<36} {:<7} {:<6} {}\n", f.name, type_name(f.type), proto_name(f.layer),
                     f.description);
      ++n;
    }
    if (n == 0) die("fields", "no field name starts with \"" + *prefix + "\"");
    Stdout::write(out);
    exit_code = kExitOk;
  });
}

}  // namespace pcapscope::cli

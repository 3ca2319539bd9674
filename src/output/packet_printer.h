// Printers for `pcapscope packets`: one per output format, all driven by the
// same field tables (fields.h), so a column, a detail line and a JSON key
// for one field always agree.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "pcapscope/decode.h"
#include "pcapscope/fields.h"

namespace pcapscope {

enum class OutputFormat { kText, kJson, kCsv };

struct PrintOptions {
  OutputFormat format = OutputFormat::kText;
  std::vector<const FieldDef*> fields;  // empty: the summary columns
  bool show = false;                    // every layer with every field of its table
  bool hex = false;                     // hex dump of the captured bytes
};

// What a printer needs beyond the packet itself.
struct PacketContext {
  std::int64_t first_ts_ns = 0;         // for relative time (tshark's frame.time_relative)
};

class PacketPrinter {
 public:
  virtual ~PacketPrinter() = default;
  // Appends the header (CSV column names) or nothing.
  virtual void begin(std::string& out) = 0;
  // Appends one packet. OUT is cleared by the caller between packets.
  virtual void print(const DecodedPacket& pkt, const PacketContext& ctx, std::string& out) = 0;
};

std::unique_ptr<PacketPrinter> make_text_printer(const PrintOptions& opt);
std::unique_ptr<PacketPrinter> make_csv_printer(const PrintOptions& opt);
std::unique_ptr<PacketPrinter> make_json_printer(const PrintOptions& opt);
std::unique_ptr<PacketPrinter> make_printer(const PrintOptions& opt);

// Shared helpers.
void append_hex_dump(std::string& out, Bytes data);      // "0000  45 00 ...  E..." like tshark -x
void append_csv_cell(std::string& out, std::string_view cell);  // RFC 4180 quoting when needed
// Summary column names and values for the default (no --fields) output.
inline constexpr const char* kSummaryColumns[] = {"frame.number", "frame.time_relative", "source", "destination",
                                                  "protocol", "frame.len", "info"};
// Human name of a layer for the detail view ("Internet Protocol Version 4").
std::string_view layer_title(Proto p);

}  // namespace pcapscope

// Protocol record writers: one renderer per format over a log's field table
// (proto_log_schema.h), so the four formats cannot disagree on a field.
#include "output/proto_writer.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "output/packet_printer.h"
#include "output/proto_log_schema.h"
#include "output/zeek_format.h"

namespace pcapscope {
namespace {

using logschema::Field;
using logschema::Schema;
using logschema::TextColumn;
using logschema::Value;
using Kind = Value::Kind;

template <class R>
class LogWriterBase : public ProtoWriter {
 public:
  LogWriterBase(const Schema<R>& schema, const ProtoWriterOptions& opt) : schema_(schema), opt_(opt) {}
  using ProtoWriter::write;
  void write(const R& r, std::string& out) override {
    for (std::size_t i = 0; i < schema_.fields.size(); ++i) {
      value_ = Value{};
      schema_.fields[i].get(r, value_, scratch_);
      put(i, value_, out);
    }
    finish_record(r, out);
  }

 protected:
  // Appends field I's value.
  virtual void put(std::size_t i, const Value& v, std::string& out) = 0;
  virtual void finish_record(const R& r, std::string& out) = 0;

  const Schema<R>& schema_;
  ProtoWriterOptions opt_;

 private:
  Value value_;
  std::string scratch_;
};

// Zeek TSV, as Zeek's ASCII writer writes it.
template <class R>
class ZeekLogWriter final : public LogWriterBase<R> {
 public:
  using LogWriterBase<R>::LogWriterBase;
  void begin(std::string& out) override {
    last_ts_ = this->opt_.open_ts_ns;
    append_zeek_preamble(out, this->schema_.path, this->opt_.open_ts_ns);
    out += "#fields";
    for (const Field<R>& f : this->schema_.fields) fmt::format_to(std::back_inserter(out), "\t{}", f.name);
    out += "\n#types";
    for (const Field<R>& f : this->schema_.fields) fmt::format_to(std::back_inserter(out), "\t{}", f.zeek_type);
    out += '\n';
  }
  // #close carries the last record's time (the first packet's when there is none), so output is reproducible.
  void end(std::string& out) override { append_zeek_close(out, last_ts_); }

 private:
  void put(std::size_t i, const Value& v, std::string& out) override {
    if (i) out += '\t';
    switch (v.kind) {
      case Kind::kUnset: out += '-'; break;
      case Kind::kTime:
      case Kind::kInterval: append_seconds_us(out, v.ns); break;
      case Kind::kCount:
      case Kind::kPort: fmt::format_to(std::back_inserter(out), "{}", v.u); break;
      case Kind::kBool: out += v.b ? 'T' : 'F'; break;
      case Kind::kAddr: out += v.addr->to_string(); break;
      case Kind::kEnum:
      case Kind::kString: append_zeek_string(out, v.s); break;
      case Kind::kStrings:
        if (v.strings->empty()) out += "(empty)";
        for (std::size_t k = 0; k < v.strings->size(); ++k) {
          if (k) out += ',';
          append_zeek_string(out, (*v.strings)[k], true);
        }
        break;
      case Kind::kIntervals:
        if (v.seconds->empty()) out += "(empty)";
        for (std::size_t k = 0; k < v.seconds->size(); ++k) {
          if (k) out += ',';
          fmt::format_to(std::back_inserter(out), "{}.000000", (*v.seconds)[k]);
        }
        break;
    }
  }
  void finish_record(const R& r, std::string& out) override {
    if (r.ts_ns > last_ts_) last_ts_ = r.ts_ns;
    out += '\n';
  }
  std::int64_t last_ts_ = 0;
};

// JSON Lines: Zeek's JSON writer's shape (unset fields left out, vectors as
// arrays, times and intervals as numbers).
template <class R>
class JsonLogWriter final : public LogWriterBase<R> {
 public:
  using LogWriterBase<R>::LogWriterBase;
  void begin(std::string&) override {}
  void end(std::string&) override {}

 private:
  void put(std::size_t i, const Value& v, std::string& out) override {
    if (i == 0) {
      out += '{';
      first_ = true;
    }
    if (v.kind == Kind::kUnset) return;
    if (!first_) out += ',';
    first_ = false;
    fmt::format_to(std::back_inserter(out), "\"{}\":", this->schema_.fields[i].name);
    switch (v.kind) {
      case Kind::kUnset: break;
      case Kind::kTime:
      case Kind::kInterval: append_seconds_us(out, v.ns); break;
      case Kind::kCount:
      case Kind::kPort: fmt::format_to(std::back_inserter(out), "{}", v.u); break;
      case Kind::kBool: out += v.b ? "true" : "false"; break;
      case Kind::kAddr: fmt::format_to(std::back_inserter(out), "\"{}\"", v.addr->to_string()); break;
      case Kind::kEnum:
      case Kind::kString: append_json_string(out, v.s); break;
      case Kind::kStrings:
        out += '[';
        for (std::size_t k = 0; k < v.strings->size(); ++k) {
          if (k) out += ',';
          append_json_string(out, (*v.strings)[k]);
        }
        out += ']';
        break;
      case Kind::kIntervals:
        out += '[';
        for (std::size_t k = 0; k < v.seconds->size(); ++k) {
          fmt::format_to(std::back_inserter(out), "{}{}.000000", k ? "," : "", (*v.seconds)[k]);
        }
        out += ']';
        break;
    }
  }
  void finish_record(const R&, std::string& out) override { out += "}\n"; }
  bool first_ = true;
};

// Appends V as plain text: what CSV cells and the text columns show.
// Vectors are comma-joined; unset is empty (the caller decides what shows).
void append_plain(std::string& out, const Value& v) {
  switch (v.kind) {
    case Kind::kUnset: break;
    case Kind::kTime:
    case Kind::kInterval: append_seconds_us(out, v.ns); break;
    case Kind::kCount:
    case Kind::kPort: fmt::format_to(std::back_inserter(out), "{}", v.u); break;
    case Kind::kBool: out += v.b ? 'T' : 'F'; break;
    case Kind::kAddr: out += v.addr->to_string(); break;
    case Kind::kEnum:
    case Kind::kString: append_printable(out, v.s); break;
    case Kind::kStrings:
      for (std::size_t k = 0; k < v.strings->size(); ++k) {
        if (k) out += ',';
        append_printable(out, (*v.strings)[k]);
      }
      break;
    case Kind::kIntervals:
      for (std::size_t k = 0; k < v.seconds->size(); ++k) {
        fmt::format_to(std::back_inserter(out), "{}{}.000000", k ? "," : "", (*v.seconds)[k]);
      }
      break;
  }
}

// CSV: a header row of the field names, unset cells empty, bools T/F as
// Zeek writes them, vectors comma-joined in one (quoted) cell. Control bytes
// are escaped (\xHH) so one record is one line for line-based tools.
template <class R>
class CsvLogWriter final : public LogWriterBase<R> {
 public:
  using LogWriterBase<R>::LogWriterBase;
  void begin(std::string& out) override {
    for (std::size_t i = 0; i < this->schema_.fields.size(); ++i) {
      if (i) out += ',';
      out += this->schema_.fields[i].name;
    }
    out += '\n';
  }
  void end(std::string&) override {}

 private:
  void put(std::size_t i, const Value& v, std::string& out) override {
    if (i) out += ',';
    cell_.clear();
    append_plain(cell_, v);
    append_csv_cell(out, cell_);
  }
  void finish_record(const R&, std::string& out) override { out += '\n'; }
  std::string cell_;
};

// Aligned text for people: time, uid, the endpoints, then the log's chosen
// columns; "-" for unset.
template <class R>
class TextLogWriter final : public LogWriterBase<R> {
 public:
  TextLogWriter(const Schema<R>& schema, const ProtoWriterOptions& opt) : LogWriterBase<R>(schema, opt) {
    column_of_.assign(schema.fields.size(), -1);
    for (std::size_t c = 0; c < schema.text.size(); ++c) {
      for (std::size_t i = 0; i < schema.fields.size(); ++i) {
        if (schema.fields[i].name == schema.text[c].field) column_of_[i] = static_cast<int>(c);
      }
    }
    cells_.resize(schema.text.size());
  }
  void begin(std::string& out) override {
    fmt::format_to(std::back_inserter(out), "{:<27} {:<18} {:<23}    {:<23}", "ts", "uid", "orig", "resp");
    for (std::size_t c = 0; c < this->schema_.text.size(); ++c) append_cell(out, c, this->schema_.text[c].field);
    out += '\n';
  }
  void end(std::string&) override {}

 private:
  void put(std::size_t i, const Value& v, std::string&) override {
    const int c = column_of_[i];
    if (c < 0) return;
    std::string& cell = cells_[static_cast<std::size_t>(c)];
    cell.clear();
    append_plain(cell, v);
    if (cell.empty()) cell = v.kind == Kind::kUnset ? "-" : "\"\"";
  }
  void finish_record(const R& r, std::string& out) override {
    const Transport t = r.id.proto == Transport::kUnknown ? Transport::kTcp : r.id.proto;
    fmt::format_to(std::back_inserter(out), "{:<27} {:<18} {:<23} -> {:<23}", text_time(r.ts_ns), r.uid_view(),
                   text_endpoint(r.id.orig_h, r.id.orig_p, t), text_endpoint(r.id.resp_h, r.id.resp_p, t));
    for (std::size_t c = 0; c < cells_.size(); ++c) append_cell(out, c, cells_[c]);
    out += '\n';
  }
  void append_cell(std::string& out, std::size_t c, std::string_view s) const {
    const TextColumn& col = this->schema_.text[c];
    out += ' ';
    if (c + 1 == this->schema_.text.size()) {
      out += s;  // no trailing padding
      return;
    }
    const std::size_t width = std::max(static_cast<std::size_t>(col.width), col.field.size());
    if (col.right)
      fmt::format_to(std::back_inserter(out), "{:>{}}", s, width);
    else
      fmt::format_to(std::back_inserter(out), "{:<{}}", s, width);
  }
  std::vector<int> column_of_;      // field index -> text column, -1 when not shown
  std::vector<std::string> cells_;  // this record's column texts
};

template <class R>
std::unique_ptr<ProtoWriter> make_for(const Schema<R>& schema, const ProtoWriterOptions& opt) {
  switch (opt.format) {
    case RecordFormat::kJson: return std::make_unique<JsonLogWriter<R>>(schema, opt);
    case RecordFormat::kCsv: return std::make_unique<CsvLogWriter<R>>(schema, opt);
    case RecordFormat::kZeek: return std::make_unique<ZeekLogWriter<R>>(schema, opt);
    case RecordFormat::kText: break;
  }
  return std::make_unique<TextLogWriter<R>>(schema, opt);
}

template <class R>
std::vector<ProtoField> fields_of(const Schema<R>& schema) {
  std::vector<ProtoField> out;
  for (const Field<R>& f : schema.fields) out.push_back({f.name, f.zeek_type, f.description});
  return out;
}

}  // namespace

std::string_view proto_log_path(ProtoLog log) {
  switch (log) {
    case ProtoLog::kDns: return "dns";
    case ProtoLog::kHttp: return "http";
    case ProtoLog::kSsl: return "ssl";
    case ProtoLog::kSsh: return "ssh";
  }
  return "";
}

std::unique_ptr<ProtoWriter> make_proto_writer(ProtoLog log, const ProtoWriterOptions& opt) {
  switch (log) {
    case ProtoLog::kDns: return make_for(logschema::dns_schema(), opt);
    case ProtoLog::kHttp: return make_for(logschema::http_schema(), opt);
    case ProtoLog::kSsl: return make_for(logschema::ssl_schema(), opt);
    case ProtoLog::kSsh: break;
  }
  return make_for(logschema::ssh_schema(), opt);
}

std::vector<ProtoField> proto_fields(ProtoLog log) {
  switch (log) {
    case ProtoLog::kDns: return fields_of(logschema::dns_schema());
    case ProtoLog::kHttp: return fields_of(logschema::http_schema());
    case ProtoLog::kSsl: return fields_of(logschema::ssl_schema());
    case ProtoLog::kSsh: break;
  }
  return fields_of(logschema::ssh_schema());
}

}  // namespace pcapscope

// Where `analyze` writes records: JSON Lines (every record tagged with a
// "record" key, docs/output.md) and the --out-dir directory of Zeek logs.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "output/proto_writer.h"
#include "output/session_writer.h"
#include "pcapscope/proto.h"
#include "pcapscope/session.h"

namespace pcapscope::cli {

// A file written through a large buffer; errors (disk full) surface at close().
class OutFile {
 public:
  // Creates PATH; refuses an existing file unless OVERWRITE. Dies with a one-line error.
  OutFile(std::string path, bool overwrite);
  ~OutFile();
  OutFile(const OutFile&) = delete;
  OutFile& operator=(const OutFile&) = delete;
  void write(std::string_view s);
  void close();  // dies with a one-line error if anything failed
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::FILE* f_ = nullptr;
};

// Adds `"record":"KIND",` after the opening brace of each JSON line in LINES.
void tag_json_lines(std::string& out, std::string_view kind, std::string_view lines);

// conn, dns, http, ssl and ssh records as tagged JSON Lines, to stdout.
class JsonRecordStream final : public SessionObserver, public ProtocolObserver {
 public:
  JsonRecordStream();
  void on_session_end(const SessionRecord& rec) override;
  void on_dns(const DnsLogRecord& r) override { emit("dns", ProtoLog::kDns, r); }
  void on_http(const HttpLogRecord& r) override { emit("http", ProtoLog::kHttp, r); }
  void on_ssl(const SslLogRecord& r) override { emit("ssl", ProtoLog::kSsl, r); }
  void on_ssh(const SshLogRecord& r) override { emit("ssh", ProtoLog::kSsh, r); }

 private:
  template <class R>
  void emit(std::string_view kind, ProtoLog log, const R& r) {
    tmp_.clear();
    proto_[static_cast<std::size_t>(log)]->write(r, tmp_);
    flush(kind);
  }
  void flush(std::string_view kind);
  std::unique_ptr<SessionWriter> conn_;
  std::unique_ptr<ProtoWriter> proto_[4];
  std::string tmp_, out_;
};

// conn.log, dns.log, http.log, ssl.log and ssh.log in Zeek TSV under DIR.
class ZeekLogDir final : public SessionObserver, public ProtocolObserver {
 public:
  ZeekLogDir(const std::string& dir, bool overwrite, std::int64_t open_ts_ns);
  void on_session_end(const SessionRecord& rec) override;
  void on_dns(const DnsLogRecord& r) override { emit(ProtoLog::kDns, r); }
  void on_http(const HttpLogRecord& r) override { emit(ProtoLog::kHttp, r); }
  void on_ssl(const SslLogRecord& r) override { emit(ProtoLog::kSsl, r); }
  void on_ssh(const SshLogRecord& r) override { emit(ProtoLog::kSsh, r); }
  // Writes the #close lines and closes every file.
  void close();

 private:
  template <class R>
  void emit(ProtoLog log, const R& r) {
    const auto i = static_cast<std::size_t>(log);
    buf_.clear();
    proto_[i]->write(r, buf_);
    proto_files_[i]->write(buf_);
  }
  std::unique_ptr<SessionWriter> conn_;
  std::unique_ptr<OutFile> conn_file_;
  std::unique_ptr<ProtoWriter> proto_[4];
  std::unique_ptr<OutFile> proto_files_[4];
  std::string buf_;
};

// Passes everything to several observers (output, report) in order.
class Tee final : public SessionObserver, public ProtocolObserver {
 public:
  void add(SessionObserver* s) { sessions_.push_back(s); }
  void add(ProtocolObserver* r) { records_.push_back(r); }
  void on_session_end(const SessionRecord& rec) override {
    for (auto* s : sessions_) s->on_session_end(rec);
  }
  void on_anomaly(const Packet& p, std::string_view uid, std::string_view name) override {
    for (auto* s : sessions_) s->on_anomaly(p, uid, name);
  }
  void on_dns(const DnsLogRecord& r) override {
    for (auto* o : records_) o->on_dns(r);
  }
  void on_http(const HttpLogRecord& r) override {
    for (auto* o : records_) o->on_http(r);
  }
  void on_ssl(const SslLogRecord& r) override {
    for (auto* o : records_) o->on_ssl(r);
  }
  void on_ssh(const SshLogRecord& r) override {
    for (auto* o : records_) o->on_ssh(r);
  }
  void on_problem(std::string_view uid, std::string_view name) override {
    for (auto* o : records_) o->on_problem(uid, name);
  }

 private:
  std::vector<SessionObserver*> sessions_;
  std::vector<ProtocolObserver*> records_;
};

}  // namespace pcapscope::cli

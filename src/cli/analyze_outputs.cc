#include "cli/analyze_outputs.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli/common.h"

namespace pcapscope::cli {

OutFile::OutFile(std::string path, bool overwrite) : path_(std::move(path)) {
  // O_EXCL unless told: a second analyze into the same directory must not
  // silently mix or replace an earlier case's logs.
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (overwrite ? O_TRUNC : O_EXCL);
  const int fd = ::open(path_.c_str(), flags, 0644);
  if (fd < 0) {
    if (errno == EEXIST) die(path_, "exists (use --force to overwrite)");
    die(path_, std::strerror(errno));
  }
  f_ = ::fdopen(fd, "w");
  if (!f_) die(path_, std::strerror(errno));
  static_cast<void>(std::setvbuf(f_, nullptr, _IOFBF, 1 << 20));
}

OutFile::~OutFile() {
  if (f_) std::fclose(f_);
}

void OutFile::write(std::string_view s) { std::fwrite(s.data(), 1, s.size(), f_); }

void OutFile::close() {
  if (!f_) return;
  const bool bad = std::ferror(f_) != 0;
  const int rc = std::fclose(f_);
  f_ = nullptr;
  if (bad || rc != 0) die(path_, std::strerror(errno ? errno : EIO));
}

void tag_json_lines(std::string& out, std::string_view kind, std::string_view lines) {
  std::size_t i = 0;
  while (i < lines.size()) {
    std::size_t j = lines.find('\n', i);
    if (j == std::string_view::npos) j = lines.size();
    std::string_view line = lines.substr(i, j - i);
    if (!line.empty() && line.front() == '{') {
      fmt::format_to(std::back_inserter(out), "{{\"record\":\"{}\"", kind);
      if (line.size() > 2) out += ',';
      out.append(line.substr(1));
      out += '\n';
    }
    i = j + 1;
  }
}

JsonRecordStream::JsonRecordStream() {
  SessionWriterOptions s;
  s.format = RecordFormat::kJson;
  conn_ = make_session_writer(s);
  ProtoWriterOptions p;
  p.format = RecordFormat::kJson;
  for (ProtoLog log : {ProtoLog::kDns, ProtoLog::kHttp, ProtoLog::kSsl, ProtoLog::kSsh}) {
    proto_[static_cast<std::size_t>(log)] = make_proto_writer(log, p);
  }
}

void JsonRecordStream::on_session_end(const SessionRecord& rec) {
  tmp_.clear();
  conn_->write(rec, tmp_);
  flush("conn");
}

void JsonRecordStream::flush(std::string_view kind) {
  out_.clear();
  tag_json_lines(out_, kind, tmp_);
  Stdout::write(out_);
}

ZeekLogDir::ZeekLogDir(const std::string& dir, bool overwrite, std::int64_t open_ts_ns) {
  SessionWriterOptions s;
  s.format = RecordFormat::kZeek;
  s.open_ts_ns = open_ts_ns;
  conn_ = make_session_writer(s);
  conn_file_ = std::make_unique<OutFile>(dir + "/conn.log", overwrite);
  buf_.clear();
  conn_->begin(buf_);
  conn_file_->write(buf_);
  ProtoWriterOptions p;
  p.format = RecordFormat::kZeek;
  p.open_ts_ns = open_ts_ns;
  for (ProtoLog log : {ProtoLog::kDns, ProtoLog::kHttp, ProtoLog::kSsl, ProtoLog::kSsh}) {
    const auto i = static_cast<std::size_t>(log);
    proto_[i] = make_proto_writer(log, p);
    proto_files_[i] = std::make_unique<OutFile>(fmt::format("{}/{}.log", dir, proto_log_path(log)), overwrite);
    buf_.clear();
    proto_[i]->begin(buf_);
    proto_files_[i]->write(buf_);
  }
}

void ZeekLogDir::on_session_end(const SessionRecord& rec) {
  buf_.clear();
  conn_->write(rec, buf_);
  conn_file_->write(buf_);
}

void ZeekLogDir::close() {
  buf_.clear();
  conn_->end(buf_);
  conn_file_->write(buf_);
  conn_file_->close();
  for (std::size_t i = 0; i < 4; ++i) {
    buf_.clear();
    proto_[i]->end(buf_);
    proto_files_[i]->write(buf_);
    proto_files_[i]->close();
  }
}

}  // namespace pcapscope::cli

#include "proto/http/http_parser.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace pcapscope::proto::http {
namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '!' || c == '*' || c == '+' || c == '~' || c == '\'' || c == '#' || c == '$' ||
         c == '%' || c == '&' || c == '^' || c == '`' || c == '|';
}

// "HTTP/1.1" -> "1.1"; empty if not an HTTP version.
std::string_view http_version(std::string_view s) {
  if (s.size() < 6 || s.substr(0, 5) != "HTTP/") return {};
  std::string_view v = s.substr(5);
  for (char c : v)
    if (!((c >= '0' && c <= '9') || c == '.')) return {};
  return v;
}

// Decimal Content-Length; false if not all digits or too large.
bool parse_length(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 18) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

bool parse_basic_auth(std::string_view value, std::string& user, bool& password_seen) {
  if (value.size() < 6 || !iequals(value.substr(0, 5), "basic") || (value[5] != ' ' && value[5] != '\t')) return false;
  std::string_view b64 = trim(value.substr(6));
  // A user name of kMaxUsername bytes and a long password fit in 1 KiB of base64; more is not credentials.
  if (b64.empty() || b64.size() > 1024) return false;
  std::string in(b64);
  while (in.size() % 4 != 0) in += '=';  // some clients leave the padding out
  std::array<unsigned char, 1024> out{};
  const int n = EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  if (n < 0) return false;
  // EVP_DecodeBlock counts the bytes the padding stands for as zeros.
  std::size_t len = static_cast<std::size_t>(n);
  for (std::size_t i = in.size(); i > 0 && in[i - 1] == '=' && len > 0; --i) --len;
  const std::string_view decoded(reinterpret_cast<const char*>(out.data()), len);
  const std::size_t colon = decoded.find(':');
  user.assign(decoded.substr(0, std::min(colon, kMaxUsername)));
  password_seen = colon != std::string_view::npos;
  return true;
}

HttpParser::HttpParser(bool is_response, MessageFn on_headers, MessageFn on_message, ProblemFn on_problem)
    : is_response_(is_response),
      on_headers_(std::move(on_headers)),
      on_message_(std::move(on_message)),
      on_problem_(std::move(on_problem)) {}

void HttpParser::on_data(std::uint64_t offset, Bytes data) {
  data = cursor_.admit(offset, data, [this](std::uint64_t at, std::uint64_t len) { on_gap(at, len); });
  feed(data.data(), data.size());
}

void HttpParser::on_gap(std::uint64_t offset, std::uint64_t len) {
  cursor_.note_gap(offset, len);
  if (len == 0) return;
  switch (state_) {
    case State::kBody:
    case State::kChunkData:
      msg_.body_gap = true;
      problem("http_body_gap");
      if (len < remaining_) {
        remaining_ -= len;
        return;
      }
      if (state_ == State::kBody && len == remaining_) {
        remaining_ = 0;
        finish_message(true);
        return;
      }
      finish_message(false);  // lost the framing: resync at the next message
      state_ = State::kResync;
      line_.clear();
      return;
    case State::kUntilClose:
      msg_.body_gap = true;
      problem("http_body_gap");
      return;
    case State::kStart:
    case State::kResync:
      line_.clear();
      state_ = State::kResync;
      return;
    default:
      problem("http_gap_in_headers");
      if (state_ == State::kChunkSize || state_ == State::kChunkDataEnd || state_ == State::kTrailers) {
        msg_.body_gap = true;
        finish_message(false);
      }
      msg_ = Message{};
      line_.clear();
      state_ = State::kResync;
      return;
  }
}

void HttpParser::on_close() {
  if (state_ == State::kHeaders && !is_response_ && msg_.version == "0.9") {
    if (on_headers_) on_headers_(msg_);
    finish_message(true);
  } else if (state_ == State::kUntilClose) {
    finish_message(true);
  } else if (state_ == State::kBody || state_ == State::kChunkData || state_ == State::kChunkSize ||
             state_ == State::kChunkDataEnd || state_ == State::kTrailers) {
    problem("http_body_cut_by_close");
    finish_message(false);
  }
  state_ = State::kStart;
  line_.clear();
}

void HttpParser::feed(const std::uint8_t* p, std::size_t n) {
  std::size_t i = 0;
  while (i < n) {
    if (state_ == State::kBody || state_ == State::kChunkData) {
      std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, n - i));
      msg_.body_len += take;
      remaining_ -= take;
      i += take;
      if (remaining_ == 0) {
        if (state_ == State::kBody) {
          finish_message(true);
        } else {
          state_ = State::kChunkDataEnd;
        }
      }
      continue;
    }
    if (state_ == State::kUntilClose) {
      msg_.body_len += n - i;
      return;
    }
    // Line-oriented states: collect up to the next LF.
    const std::uint8_t* nl = static_cast<const std::uint8_t*>(std::memchr(p + i, '\n', n - i));
    std::size_t end = nl ? static_cast<std::size_t>(nl - p) : n;
    if (!line_overflow_) {
      std::size_t room = kMaxLine - line_.size();
      std::size_t take = std::min(room, end - i);
      line_.append(reinterpret_cast<const char*>(p + i), take);
      if (take < end - i) {
        line_overflow_ = true;
        line_.clear();
        if (state_ == State::kHeaders || state_ == State::kTrailers) {
          // One oversized header (a cookie, a smuggling probe) is skipped;
          // the message and the headers before it stay.
          problem("http_header_too_long");
        } else if (state_ != State::kResync) {
          problem("http_line_too_long");
          if (state_ != State::kStart) {
            if (state_ != State::kHeaders) finish_message(false);
            msg_ = Message{};
          }
          state_ = State::kResync;
        }
      }
    }
    i = end;
    if (!nl) return;
    ++i;  // past LF
    if (line_overflow_) {
      line_overflow_ = false;
      continue;
    }
    std::string line = std::move(line_);
    line_.clear();
    if (!line.empty() && line.back() == '\r') line.pop_back();
    handle_line(line);
  }
}

void HttpParser::handle_line(std::string_view line) {
  switch (state_) {
    case State::kStart:
    case State::kResync:
      if (line.empty()) return;  // CRLF between messages is tolerated
      if (parse_start_line(line)) {
        in_garbage_ = false;
        state_ = State::kHeaders;
        header_count_ = 0;
        header_bytes_ = 0;

      } else if (!in_garbage_ && state_ == State::kStart) {
        in_garbage_ = true;
        problem("http_garbage");
      }
      return;
    case State::kHeaders:
      if (line.empty()) {
        headers_done();
        return;
      }
      header_bytes_ += line.size() + 2;
      if (++header_count_ > kMaxHeaders || header_bytes_ > kMaxHeaderBytes) {
        abandon(header_count_ > kMaxHeaders ? "http_too_many_headers" : "http_headers_too_large");
        return;
      }
      handle_header(line);
      return;
    case State::kChunkSize: {
      std::string_view s = trim(line);
      std::size_t digits = 0;
      std::uint64_t size = 0;
      while (digits < s.size() && hex_value(s[digits]) >= 0) {
        size = (size << 4) | static_cast<std::uint64_t>(hex_value(s[digits]));
        ++digits;
      }
      std::string_view rest = trim(s.substr(digits));
      if (digits == 0 || digits > 15 || (!rest.empty() && rest.front() != ';')) {
        problem("http_bad_chunk_size");
        finish_message(false);
        state_ = State::kResync;
        return;
      }
      remaining_ = size;
      state_ = size == 0 ? State::kTrailers : State::kChunkData;
      return;
    }
    case State::kChunkDataEnd:
      if (!line.empty()) problem("http_bad_chunk_end");
      state_ = State::kChunkSize;
      return;
    case State::kTrailers:
      if (line.empty()) finish_message(true);
      return;
    default:
      return;
  }
}

bool HttpParser::parse_start_line(std::string_view line) {
  std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos || sp1 == 0) return false;
  std::string_view first = line.substr(0, sp1);
  std::string_view rest = line.substr(sp1 + 1);
  Message m;
  m.is_response = is_response_;
  if (is_response_) {
    std::string_view v = http_version(first);
    if (v.empty() || rest.size() < 3) return false;
    int code = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      if (rest[k] < '0' || rest[k] > '9') return false;
      code = code * 10 + (rest[k] - '0');
    }
    if (rest.size() > 3 && rest[3] != ' ') return false;
    m.version = std::string(v);
    m.status_code = code;
    m.status_msg = std::string(trim(rest.size() > 3 ? rest.substr(4) : std::string_view{}));
  } else {
    for (char c : first)
      if (!is_token_char(c)) return false;
    std::size_t sp2 = rest.rfind(' ');
    std::string_view v =
        sp2 == std::string_view::npos ? std::string_view{} : http_version(trim(rest.substr(sp2 + 1)));
    if (v.empty()) {
      // No version: HTTP/0.9 (RFC 1945 §4.1, "GET uri" and nothing else), or
      // a client that left the version out but sends headers anyway (malware
      // does): headers are read if they come, and the request ends at the
      // blank line or when the connection closes.
      const std::string_view uri = trim(rest);
      if (first != "GET" || uri.empty() || uri.find(' ') != std::string_view::npos) return false;
      m.method = "GET";
      m.uri = std::string(uri);
      m.version = "0.9";
      msg_ = std::move(m);
      return true;
    }
    // "PRI * HTTP/2.0" is HTTP/2's connection preface (RFC 9113 §3.4), not a request.
    if (v.front() != '0' && v.front() != '1') return false;
    m.method = std::string(first);
    m.uri = std::string(trim(rest.substr(0, sp2)));
    m.version = std::string(v);
  }
  msg_ = std::move(m);
  return true;
}

void HttpParser::handle_header(std::string_view line) {
  if (line.front() == ' ' || line.front() == '\t') return;  // obsolete folding: ignored
  std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    problem("http_bad_header");
    return;
  }
  std::string_view name = trim(line.substr(0, colon));
  std::string_view value = trim(line.substr(colon + 1));
  if (iequals(name, "host")) {
    msg_.host = std::string(value);
  } else if (iequals(name, "user-agent")) {
    msg_.user_agent = std::string(value);
  } else if (iequals(name, "referer")) {
    msg_.referrer = std::string(value);
  } else if (iequals(name, "content-type")) {
    msg_.content_type = std::string(value);
  } else if (iequals(name, "authorization") && !is_response_) {
    if (!parse_basic_auth(value, msg_.username, msg_.password_seen) && value.size() >= 6 &&
        iequals(value.substr(0, 6), "basic ")) {
      problem("http_bad_basic_auth");
    }
  } else if (iequals(name, "content-length")) {
    std::uint64_t len = 0;
    if (parse_length(value, len)) {
      remaining_ = len;
      content_length_seen_ = true;
    } else {
      problem("http_bad_content_length");
    }
  } else if (iequals(name, "transfer-encoding")) {
    if (icontains(value, "chunked")) msg_.chunked = true;
  } else if (iequals(name, "expect")) {
    if (icontains(value, "100-continue")) msg_.expect_continue = true;
  } else if (iequals(name, "connection")) {
    if (icontains(value, "close")) msg_.connection_close = true;
  }
}

void HttpParser::headers_done() {
  bool have_length = content_length_seen_;
  content_length_seen_ = false;
  std::uint64_t length = have_length ? remaining_ : 0;
  bool no_body = false;
  if (is_response_) {
    int c = msg_.status_code;
    bool interim = c >= 100 && c < 200;
    if (!interim) {
      bool head = !head_queue_.empty() && head_queue_.front();
      if (!head_queue_.empty()) head_queue_.pop_front();
      no_body = head || c == 204 || c == 304;
    } else {
      no_body = true;
    }
  }
  if (on_headers_) on_headers_(msg_);
  if (no_body) {
    finish_message(true);
  } else if (msg_.chunked) {
    state_ = State::kChunkSize;
  } else if (have_length) {
    remaining_ = length;
    if (length == 0) {
      finish_message(true);
    } else {
      state_ = State::kBody;
    }
  } else if (is_response_) {
    state_ = State::kUntilClose;
  } else {
    finish_message(true);
  }
}

void HttpParser::finish_message(bool complete) {
  msg_.complete = complete;
  if (on_message_) on_message_(msg_);
  msg_ = Message{};
  remaining_ = 0;
  content_length_seen_ = false;
  state_ = State::kStart;
}

void HttpParser::abandon(std::string_view name) {
  problem(name);
  msg_ = Message{};
  remaining_ = 0;
  content_length_seen_ = false;
  state_ = State::kResync;
}

HttpConversation::HttpConversation(TransactionFn on_transaction, ProblemFn on_problem)
    : on_transaction_(std::move(on_transaction)),
      on_problem_(std::move(on_problem)),
      request_(
          false, [this](const Message& m) { request_headers(m); }, [this](const Message& m) { request_done(m); },
          [this](std::string_view p) {
            if (on_problem_) on_problem_(p);
          }),
      response_(
          true, [this](const Message& m) { response_headers(m); }, [this](const Message& m) { response_done(m); },
          [this](std::string_view p) {
            if (on_problem_) on_problem_(p);
          }) {}

void HttpConversation::request_headers(const Message& m) {
  Pending p;
  Transaction& t = p.t;
  t.trans_depth = ++depth_;
  t.has_request = true;
  t.method = m.method;
  t.host = m.host;
  t.uri = m.uri;
  t.referrer = m.referrer;
  t.version = m.version;
  t.user_agent = m.user_agent;
  t.request_content_type = m.content_type;
  t.username = m.username;
  t.password_seen = m.password_seen;
  t.ts_ns = now_ns_;
  t.frame = now_frame_;
  if (pending_.size() >= kMaxPending) {
    // A client that never gets answers (or a desynchronised response side)
    // must not grow the queue without bound.
    Transaction old = std::move(pending_.front().t);
    pending_.pop_front();
    emit(old);
  }
  pending_.push_back(std::move(p));
  response_.push_request_is_head(m.method == "HEAD");
}

void HttpConversation::request_done(const Message& m) {
  if (on_request_done_) on_request_done_(m);
  for (Pending& p : pending_) {
    if (!p.request_done) {
      p.request_done = true;
      p.t.request_body_len = m.body_len;
      p.t.body_gap = p.t.body_gap || m.body_gap;
      return;
    }
  }
}

void HttpConversation::response_headers(const Message& m) {
  // 101 Switching Protocols, or a 2xx answering CONNECT: what follows on
  // both sides is another protocol (WebSocket, HTTP/2, a TLS tunnel).
  const bool connect = !pending_.empty() && pending_.front().t.method == "CONNECT";
  if (m.status_code == 101 || (connect && m.status_code >= 200 && m.status_code < 300)) {
    switched_ = connect ? Switch::kTunnel : Switch::kUpgrade;
  }
  if (m.status_code >= 100 && m.status_code < 200) continue_seen_ = true;
}

void HttpConversation::response_done(const Message& m) {
  if (on_response_done_) on_response_done_(m);
  if (m.status_code >= 100 && m.status_code < 200) return;  // interim: the final response follows
  Transaction t;
  if (!pending_.empty()) {
    t = std::move(pending_.front().t);
    pending_.pop_front();
  } else {
    t.trans_depth = ++depth_;
    t.ts_ns = now_ns_;
    t.frame = now_frame_;
  }
  t.has_response = true;
  t.status_code = m.status_code;
  t.status_msg = m.status_msg;
  if (t.version.empty()) t.version = m.version;
  t.response_body_len = m.body_len;
  t.response_content_type = m.content_type;
  t.body_gap = t.body_gap || m.body_gap;
  t.saw_continue = continue_seen_;
  continue_seen_ = false;
  emit(t);
}

void HttpConversation::on_close() {
  request_.on_close();
  response_.on_close();
  while (!pending_.empty()) {
    Transaction t = std::move(pending_.front().t);
    pending_.pop_front();
    emit(t);
  }
}

void HttpConversation::emit(Transaction& t) {
  if (on_transaction_) on_transaction_(t);
}

}  // namespace pcapscope::proto::http

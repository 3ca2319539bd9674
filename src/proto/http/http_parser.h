// Incremental HTTP/1.x parser, one instance per direction, and a conversation
// that pairs responses with requests in order (pipelining), giving Zeek
// http.log-like transactions.
//
// Input arrives in arbitrary segments (1 byte works) with stream offsets;
// gaps are reported by on_gap. Everything is bounded: a line is at most
// 8 KiB, a header block at most 100 lines / 64 KiB; Content-Length and chunk
// sizes are only counted down, never allocated. Bodies are counted, not kept.
// Problems are named ("http_line_too_long", "http_bad_chunk_size",
// "http_garbage" ...) and never thrown; after garbage the parser resyncs at
// the next line that looks like a request or status line.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "proto/stream_cursor.h"

namespace pcapscope::proto::http {

using Bytes = std::span<const std::uint8_t>;

inline constexpr std::size_t kMaxLine = 8 * 1024;
inline constexpr std::size_t kMaxHeaders = 100;
inline constexpr std::size_t kMaxHeaderBytes = 64 * 1024;
inline constexpr std::size_t kMaxUsername = 256;  // bytes of a Basic auth user name kept

// "Basic <base64 of user:password>" (RFC 7617): the user and whether a
// password part followed. False when VALUE is not Basic or not base64.
bool parse_basic_auth(std::string_view value, std::string& user, bool& password_seen);

// One request or response, as far as it was seen.
struct Message {
  bool is_response = false;
  std::string method, uri, version;  // request line (version e.g. "1.1")
  int status_code = 0;               // response status line
  std::string status_msg;
  std::string host, user_agent, referrer, content_type;
  std::string username;        // Authorization: Basic (decoded, bounded); the password is not kept
  bool password_seen = false;  // the Basic credentials held a password part (after ':')
  bool chunked = false;
  bool expect_continue = false;
  bool connection_close = false;
  std::uint64_t body_len = 0;  // body bytes seen (decoded chunk data for chunked)
  bool body_gap = false;       // part of the body was lost to a gap
  bool complete = false;       // ended normally (false: abandoned or cut by close)
};

class HttpParser {
 public:
  using MessageFn = std::function<void(const Message&)>;
  using ProblemFn = std::function<void(std::string_view)>;

  // ON_HEADERS runs when the header block ends (body not yet seen),
  // ON_MESSAGE when the message ends (or is cut short after its headers).
  HttpParser(bool is_response, MessageFn on_headers, MessageFn on_message, ProblemFn on_problem);

  void on_data(std::uint64_t offset, Bytes data);
  void on_gap(std::uint64_t offset, std::uint64_t len);
  void on_close();  // end of stream: finishes a body delimited by close

  // Response side: whether the next final response answers a HEAD request
  // (the conversation pushes one entry per request, in order).
  void push_request_is_head(bool head) { head_queue_.push_back(head); }

 private:
  enum class State : std::uint8_t {
    kStart, kHeaders, kBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailers, kUntilClose, kResync
  };
  void feed(const std::uint8_t* p, std::size_t n);
  void handle_line(std::string_view line);
  bool parse_start_line(std::string_view line);
  void handle_header(std::string_view line);
  void headers_done();
  void finish_message(bool complete);
  void abandon(std::string_view problem);
  void problem(std::string_view name) { if (on_problem_) on_problem_(name); }

  bool is_response_;
  MessageFn on_headers_, on_message_;
  ProblemFn on_problem_;
  State state_ = State::kStart;
  std::string line_;
  bool line_overflow_ = false;
  bool in_garbage_ = false;
  std::size_t header_count_ = 0, header_bytes_ = 0;
  std::uint64_t remaining_ = 0;  // body or chunk bytes still expected
  bool content_length_seen_ = false;
  StreamCursor cursor_;
  Message msg_;
  std::deque<bool> head_queue_;
};

// One http.log-like record.
struct Transaction {
  unsigned trans_depth = 0;  // 1-based per connection
  std::string method, host, uri, referrer, version, user_agent;
  std::uint64_t request_body_len = 0, response_body_len = 0;
  int status_code = 0;
  std::string status_msg;
  std::string request_content_type, response_content_type;
  std::string username;         // Authorization: Basic user (never the password)
  bool password_seen = false;
  bool body_gap = false;        // a body (either side) lost bytes to a gap
  bool saw_continue = false;    // a 100 Continue preceded the final response
  bool has_request = false, has_response = false;
  std::int64_t ts_ns = 0;       // clock (set_clock) when the request's headers ended, or the response's
  std::uint64_t frame = 0;
};

class HttpConversation {
 public:
  using TransactionFn = std::function<void(const Transaction&)>;
  using ProblemFn = std::function<void(std::string_view)>;
  HttpConversation(TransactionFn on_transaction, ProblemFn on_problem);
  HttpConversation(const HttpConversation&) = delete;
  HttpConversation& operator=(const HttpConversation&) = delete;

  HttpParser& requests() { return request_; }
  HttpParser& responses() { return response_; }
  void on_close();  // end of connection: flushes bodies until close and unanswered requests

  // The time and frame of the bytes being fed now: transactions are stamped with them.
  void set_clock(std::int64_t ts_ns, std::uint64_t frame) {
    now_ns_ = ts_ns;
    now_frame_ = frame;
  }
  // Optional: told when each request / final or interim response is complete
  // (tshark shows a message's fields on the frame that completes it).
  void set_message_hooks(HttpParser::MessageFn request_done, HttpParser::MessageFn response_done) {
    on_request_done_ = std::move(request_done);
    on_response_done_ = std::move(response_done);
  }

  // Whether the conversation stopped being HTTP/1.x: a 101 (WebSocket, h2c)
  // or a 2xx to CONNECT (a tunnel, usually TLS). The caller stops feeding it.
  enum class Switch : std::uint8_t { kNone, kUpgrade, kTunnel };
  Switch switched() const { return switched_; }

  // Requests in flight without a response; past this the oldest is logged unanswered.
  static constexpr std::size_t kMaxPending = 128;

 private:
  void request_headers(const Message& m);
  void request_done(const Message& m);
  void response_headers(const Message& m);
  void response_done(const Message& m);
  void emit(Transaction& t);

  TransactionFn on_transaction_;
  ProblemFn on_problem_;
  struct Pending {
    Transaction t;
    bool request_done = false;
  };
  std::deque<Pending> pending_;
  HttpParser::MessageFn on_request_done_, on_response_done_;
  std::int64_t now_ns_ = 0;
  std::uint64_t now_frame_ = 0;
  bool continue_seen_ = false;
  Switch switched_ = Switch::kNone;
  unsigned depth_ = 0;
  HttpParser request_, response_;
};

}  // namespace pcapscope::proto::http

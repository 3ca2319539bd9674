// The filter language: Wireshark's display-filter syntax over packets, and the
// same language over session and protocol records (Zeek's field names).
//
//   tcp.flags.syn == 1 && !tcp.flags.ack && ip.dst == 10.0.0.0/8
//   tcp.len * 2 >= frame.len                     (Wireshark 4 arithmetic)
//   http.host matches "\\.ru$" || tcp.port in {4444, 8000..8080}
//   orig_bytes > 10 * resp_bytes && duration > 60          (--where on sessions)
//   entropy(query) > 3.5 && registered_domain(query) == "example.com"
//
// A filter is compiled once (lexer -> parser -> AST -> typed evaluator tree)
// against the vocabulary of one kind of subject; evaluation allocates nothing
// once its buffers have grown to the largest packet's needs. Semantics follow
// Wireshark 4.0 where it defines them (docs/filters.md lists every rule and
// every place we differ): a field with several occurrences matches `==` when
// any occurrence does, `!=` when none does (`~=` is "any differs", `===`
// "all equal"); a comparison on an absent field is false; a bare field or
// protocol name tests presence.
//
// A Filter is not thread-safe (it owns its scratch buffers): one per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "pcapscope/result.h"

namespace pcapscope {

struct DecodedPacket;
struct SessionRecord;
struct DnsLogRecord;
struct HttpLogRecord;
struct SslLogRecord;
struct SshLogRecord;

namespace filter {

// What a filter is written over: its field names and how to read them.
enum class Subject : std::uint8_t { kPacket, kConn, kDns, kHttp, kSsl, kSsh, kAlert };
std::string_view subject_name(Subject s);  // "packet", "conn", "dns" ...

// A compile error: what is wrong and where (0-based byte column and length in the expression).
struct CompileError {
  std::string message;  // "unknown field \"ip.sorce\" (did you mean ip.src?)"
  std::size_t column = 0;
  std::size_t length = 1;
  // Three lines: "MESSAGE at column N", the expression, and a caret line under the culprit.
  std::string render(std::string_view expression) const;
};

class Program;  // the compiled evaluator (src/filter/eval.h)

class Filter {
 public:
  // Compiles EXPRESSION for SUBJECT, or says where it is wrong.
  static std::variant<Filter, CompileError> compile(std::string_view expression, Subject subject);

  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;
  ~Filter();

  Subject subject() const;
  // Packet filters naming application fields (dns.qry.name ...) need the
  // protocol stage's per-frame fields; naming `uid` needs the session stage.
  bool needs_app_fields() const;
  bool needs_uid() const;

  // Each overload checks the subject it was compiled for (a mismatch is a
  // programming error and returns false).
  bool matches(const DecodedPacket& pkt) const;
  bool matches(const SessionRecord& r) const;
  bool matches(const DnsLogRecord& r) const;
  bool matches(const HttpLogRecord& r) const;
  bool matches(const SslLogRecord& r) const;
  bool matches(const SshLogRecord& r) const;
  // Internal subjects (alerts): SUBJECT must be the type compiled for.
  bool matches_raw(Subject s, const void* subject) const;

 private:
  explicit Filter(std::unique_ptr<Program> p);
  std::unique_ptr<Program> program_;
};

// Arithmetic over fields with several occurrences takes every pair (Wireshark
// 4.0's rule), at most this many per operation and subject: beyond them the
// operation has no further values. arithmetic_cut_count() counts, for the
// whole process, the evaluations cut short; the command line reports it, so
// a filter that met the bound never passes silently.
inline constexpr std::size_t kMaxArithmeticPairs = 4096;
std::uint64_t arithmetic_cut_count();

// Names a filter over SUBJECT may use (fields, and for packets protocol
// names), for help texts and "did you mean" hints.
std::vector<std::string_view> field_names(Subject subject);

}  // namespace filter
}  // namespace pcapscope

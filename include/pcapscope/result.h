// Result<T>: a value or an error message, instead of exceptions.
//
// Why not exceptions: the read/decode path handles hostile input millions of
// times a second; failures there are ordinary outcomes (damaged record, odd
// link type) and must be cheap, visible in the signature and impossible to
// ignore by accident ([[nodiscard]]), as simdjson does. Exceptions remain for
// programming errors and out-of-memory only.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace pcapscope {

struct Error {
  std::string message;  // one line, no trailing period, e.g. "not a pcap or pcapng file"
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }

  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Success or an error, for operations that produce nothing.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace pcapscope

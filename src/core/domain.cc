#include "core/domain.h"

#include <libpsl.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>

namespace pcapscope {

namespace {

struct PslFree {
  void operator()(psl_ctx_t* p) const { psl_free(p); }
};

// One context for the process: loading the list costs milliseconds, lookups
// on a loaded context are read-only (libpsl documents them as thread-safe).
const psl_ctx_t* context() {
  static const std::unique_ptr<psl_ctx_t, PslFree> latest(psl_latest(nullptr));
  if (latest) return latest.get();
  return psl_builtin();  // static data owned by libpsl; never freed
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string_view registered_domain(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return name;
  // libpsl wants a NUL-terminated, lower-case name: copy once into a reused buffer.
  thread_local std::string buf;
  buf.assign(name);
  bool folded = false;
  for (char& c : buf) {
    const char l = lower(c);
    folded |= l != c;
    c = l;
  }
  const psl_ctx_t* psl = context();
  const char* reg = psl ? psl_registrable_domain(psl, buf.c_str()) : nullptr;
  std::size_t offset = 0;
  if (reg) {
    // REG points into BUF (libpsl returns a suffix of its argument).
    const auto start = static_cast<std::size_t>(reg - buf.c_str());
    if (start < buf.size()) offset = start;
  }
  if (!folded) return name.substr(offset);
  return std::string_view(buf).substr(offset);
}

double shannon_entropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<std::uint32_t, 256> counts{};
  for (char c : s) ++counts[static_cast<unsigned char>(c)];
  const double n = static_cast<double>(s.size());
  double h = 0;
  for (std::uint32_t c : counts) {
    if (c == 0) continue;
    const double p = c / n;
    h -= p * std::log2(p);
  }
  return h;
}

}  // namespace pcapscope

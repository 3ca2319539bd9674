#include "core/domain.h"

#include <libpsl.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
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

// libpsl walks its suffix DAG for every label (about 800 instructions a
// name), and DNS repeats names: a tunnel's thousand queries share one domain,
// a resolver's answers their questions. A direct-mapped cache of lower-cased
// names keeps only the offset of the registrable part. A hostile capture can
// only make it miss (every slot is overwritten, never chained), so the worst
// case is the uncached cost; memory is bounded by kSlots names of <= 255 bytes.
class RegisteredDomainCache {
 public:
  // Offset of NAME's registrable part; NAME is lower case and NUL-terminated.
  std::size_t offset(const std::string& name) {
    Slot& slot = slots_[std::hash<std::string>{}(name) & (kSlots - 1)];
    if (slot.valid && slot.name == name) return slot.offset;
    slot.name.assign(name);
    slot.offset = lookup(name);
    slot.valid = true;
    return slot.offset;
  }

 private:
  static constexpr std::size_t kSlots = 4096;
  struct Slot {
    std::string name;
    std::size_t offset = 0;
    bool valid = false;
  };

  static std::size_t lookup(const std::string& name) {
    const psl_ctx_t* psl = context();
    const char* reg = psl ? psl_registrable_domain(psl, name.c_str()) : nullptr;
    if (!reg) return 0;
    // REG points into NAME (libpsl returns a suffix of its argument).
    const auto start = static_cast<std::size_t>(reg - name.c_str());
    return start < name.size() ? start : 0;
  }

  std::array<Slot, kSlots> slots_;
};

}  // namespace

std::string_view registered_domain(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return name;
  // libpsl wants a NUL-terminated, lower-case name: copy once into a reused buffer.
  thread_local std::string buf;
  thread_local auto cache = std::make_unique<RegisteredDomainCache>();
  buf.assign(name);
  bool folded = false;
  for (char& c : buf) {
    const char l = lower(c);
    folded |= l != c;
    c = l;
  }
  const std::size_t offset = cache->offset(buf);
  if (!folded) return name.substr(offset);
  return std::string_view(buf).substr(offset);
}

double shannon_entropy(std::string_view s) {
  if (s.empty()) return 0;
  // Called for every DNS query: a bitmap of the bytes present visits only
  // those (a name has a few dozen), in ascending byte order as a full scan
  // would, so the floating-point sum is the same.
  std::array<std::uint32_t, 256> counts;
  std::array<std::uint64_t, 4> present{};
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const std::uint64_t bit = std::uint64_t{1} << (c & 63);
    if (!(present[c >> 6] & bit)) {
      present[c >> 6] |= bit;
      counts[c] = 0;
    }
    ++counts[c];
  }
  const double n = static_cast<double>(s.size());
  double h = 0;
  for (unsigned w = 0; w < 4; ++w) {
    for (std::uint64_t bits = present[w]; bits != 0; bits &= bits - 1) {
      const double p = counts[w * 64 + static_cast<unsigned>(std::countr_zero(bits))] / n;
      h -= p * std::log2(p);
    }
  }
  return h;
}

}  // namespace pcapscope

// Slice semantics must be Python's exactly: the cases below were produced by
// CPython's list(range(n))[slice(...)].
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "core/slice.h"

namespace pcapscope {
namespace {

struct Case {
  const char* text;
  std::int64_t n;
  std::vector<std::int64_t> want;
};

const Case kCases[] = {
  {"0:10", 0, {}},
  {"5:", 0, {}},
  {"-5:", 0, {}},
  {"::2", 0, {}},
  {"::-1", 0, {}},
  {"-3::-1", 0, {}},
  {"10:2:-2", 0, {}},
  {"7", 0, {}},
  {"-1", 0, {}},
  {"-20:3", 0, {}},
  {"3:-3", 0, {}},
  {"1:100:7", 0, {}},
  {"-1:-10:-3", 0, {}},
  {":0", 0, {}},
  {"100:", 0, {}},
  {":-100", 0, {}},
  {"0:10", 1, {0}},
  {"5:", 1, {}},
  {"-5:", 1, {0}},
  {"::2", 1, {0}},
  {"::-1", 1, {0}},
  {"-3::-1", 1, {}},
  {"10:2:-2", 1, {}},
  {"7", 1, {}},
  {"-1", 1, {0}},
  {"-20:3", 1, {0}},
  {"3:-3", 1, {}},
  {"1:100:7", 1, {}},
  {"-1:-10:-3", 1, {0}},
  {":0", 1, {}},
  {"100:", 1, {}},
  {":-100", 1, {}},
  {"0:10", 10, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
  {"5:", 10, {5, 6, 7, 8, 9}},
  {"-5:", 10, {5, 6, 7, 8, 9}},
  {"::2", 10, {0, 2, 4, 6, 8}},
  {"::-1", 10, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
  {"-3::-1", 10, {7, 6, 5, 4, 3, 2, 1, 0}},
  {"10:2:-2", 10, {9, 7, 5, 3}},
  {"7", 10, {7}},
  {"-1", 10, {9}},
  {"-20:3", 10, {0, 1, 2}},
  {"3:-3", 10, {3, 4, 5, 6}},
  {"1:100:7", 10, {1, 8}},
  {"-1:-10:-3", 10, {9, 6, 3}},
  {":0", 10, {}},
  {"100:", 10, {}},
  {":-100", 10, {}},
  {"0:10", 25, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
  {"5:", 25, {5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24}},
  {"-5:", 25, {20, 21, 22, 23, 24}},
  {"::2", 25, {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24}},
  {"::-1", 25, {24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
  {"-3::-1", 25, {22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
  {"10:2:-2", 25, {10, 8, 6, 4}},
  {"7", 25, {7}},
  {"-1", 25, {24}},
  {"-20:3", 25, {}},
  {"3:-3", 25, {3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21}},
  {"1:100:7", 25, {1, 8, 15, 22}},
  {"-1:-10:-3", 25, {24, 21, 18}},
  {":0", 25, {}},
  {"100:", 25, {}},
  {":-100", 25, {}},
};

std::vector<std::int64_t> expand(const SliceRange& r) {
  std::vector<std::int64_t> out;
  if (r.step > 0)
    for (auto i = r.start; i < r.stop; i += r.step) out.push_back(i);
  else
    for (auto i = r.start; i > r.stop; i += r.step) out.push_back(i);
  return out;
}

TEST(Slice, MatchesPython) {
  for (const auto& c : kCases) {
    auto s = parse_slice(c.text);
    ASSERT_TRUE(s.ok()) << c.text;
    auto r = resolve_slice(*s, c.n);
    EXPECT_EQ(expand(r), c.want) << c.text << " over " << c.n;
    EXPECT_EQ(r.size(), static_cast<std::int64_t>(c.want.size())) << c.text << " over " << c.n;
    for (std::int64_t i = -2; i < c.n + 2; ++i) {
      bool in = std::find(c.want.begin(), c.want.end(), i) != c.want.end();
      EXPECT_EQ(r.contains(i), in) << c.text << " over " << c.n << " index " << i;
    }
  }
}

TEST(Slice, StreamingAgreesWithCountedWhenNonNegative) {
  for (const char* text : {"0:10", "5:", "::3", "2:9:2", "7"}) {
    auto s = parse_slice(text);
    ASSERT_TRUE(s.ok());
    ASSERT_FALSE(s->needs_count()) << text;
    auto stream = resolve_streaming(*s);
    auto counted = resolve_slice(*s, 20);
    for (std::int64_t i = 0; i < 20; ++i) EXPECT_EQ(stream.contains(i), counted.contains(i)) << text << " " << i;
  }
  EXPECT_TRUE(parse_slice("-1")->needs_count());
  EXPECT_TRUE(parse_slice("::-1")->needs_count());
}

TEST(Slice, RejectsGarbageWithAReason) {
  for (const char* bad : {"a:b", "1:2:0", "1:2:3:4", "", "1.5:", "--1", "9223372036854775807",
                          "::-9223372036854775808", "99999999999999999999:"}) {
    auto s = parse_slice(bad);
    EXPECT_FALSE(s.ok()) << bad;
    if (!s.ok()) {
      EXPECT_NE(s.error().message.find("slice"), std::string::npos) << s.error().message;
    }
  }
}

}  // namespace
}  // namespace pcapscope

#include <gtest/gtest.h>

#include "core/time_format.h"

namespace pcapscope {
namespace {

TEST(TimeFormat, EpochKeepsNanoseconds) {
  EXPECT_EQ(format_epoch(1700000000123456789LL), "1700000000.123456789");
  EXPECT_EQ(format_epoch(0), "0.000000000");
  EXPECT_EQ(format_epoch(-500000000), "-0.500000000");
  EXPECT_EQ(format_epoch(-1500000000), "-1.500000000");
}

TEST(TimeFormat, Iso8601IsUtc) {
  EXPECT_EQ(format_iso8601(1700000000123456789LL), "2023-11-14T22:13:20.123456789Z");
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(format_iso8601(-1), "1969-12-31T23:59:59.999999999Z");
}

}  // namespace
}  // namespace pcapscope

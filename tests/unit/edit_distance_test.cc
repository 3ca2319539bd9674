#include <gtest/gtest.h>

#include "core/edit_distance.h"

namespace pcapscope {
namespace {

TEST(EditDistance, Levenshtein) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("ip.src", "ip.src"), 0u);
  EXPECT_EQ(edit_distance("ip.sorce", "ip.src"), 2u);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
}

TEST(EditDistance, PlausibleTypos) {
  EXPECT_TRUE(is_plausible_typo("ip.sorce", "ip.src", 2));
  EXPECT_TRUE(is_plausible_typo("tcp.dsport", "tcp.dstport", 1));
  EXPECT_FALSE(is_plausible_typo("ip.src", "ip.src", 0));
  EXPECT_FALSE(is_plausible_typo("foo", "tcp.srcport", 9));
}

}  // namespace
}  // namespace pcapscope

// printable(): what error messages quote stays on one line.
#include <gtest/gtest.h>

#include <string>

#include "core/printable.h"

namespace pcapscope {
namespace {

TEST(Printable, ControlCharactersAreShownNotObeyed) {
  EXPECT_EQ(printable("a\nb\rc\td"), "a\\nb\\rc\\td");
  EXPECT_EQ(printable(std::string("x\0y", 3)), "x\\x00y");
  EXPECT_EQ(printable("\x1b[31mred"), "\\x1b[31mred");  // no terminal escapes
  EXPECT_EQ(printable("\x7f"), "\\x7f");
}

TEST(Printable, TextAndUtf8PassUnchangedAndTwiceIsOnce) {
  EXPECT_EQ(printable("/evidence/caf\xc3\xa9 dump.pcap"), "/evidence/caf\xc3\xa9 dump.pcap");
  EXPECT_EQ(printable("C:\\new"), "C:\\new");
  const std::string once = printable("a\nb\\n");
  EXPECT_EQ(printable(once), once);
  EXPECT_EQ(once.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace pcapscope

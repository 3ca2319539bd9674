#include "core/domain.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <thread>

namespace pcapscope {
namespace {

TEST(CoreDomain, RegisteredDomainOfOrdinaryNames) {
  EXPECT_EQ(registered_domain("a.b.example.co.uk"), "example.co.uk");
  EXPECT_EQ(registered_domain("www.google.com"), "google.com");
  EXPECT_EQ(registered_domain("google.com"), "google.com");
  EXPECT_EQ(registered_domain("x.y.z.example.org"), "example.org");
}

TEST(CoreDomain, PublicSuffixItselfIsReturnedWhole) {
  EXPECT_EQ(registered_domain("com"), "com");
  EXPECT_EQ(registered_domain("co.uk"), "co.uk");
  EXPECT_EQ(registered_domain("in-addr.arpa"), "in-addr.arpa");
  EXPECT_EQ(registered_domain(""), "");
}

TEST(CoreDomain, ReverseLookupsGroupUnderTheFirstOctet) {
  // in-addr.arpa is a public suffix, so the registrable part is "<octet>.in-addr.arpa".
  EXPECT_EQ(registered_domain("4.3.2.1.in-addr.arpa"), "1.in-addr.arpa");
}

TEST(CoreDomain, UpperCaseAndTrailingDot) {
  EXPECT_EQ(registered_domain("WWW.Example.COM."), "example.com");
  EXPECT_EQ(registered_domain("www.example.com."), "example.com");
  EXPECT_EQ(registered_domain("COM"), "com");
}

TEST(CoreDomain, ViewPointsIntoTheArgumentWhenLowerCase) {
  const std::string name = "mail.example.net";
  const std::string_view r = registered_domain(name);
  EXPECT_EQ(r, "example.net");
  EXPECT_EQ(r.data(), name.data() + 5);
}

TEST(CoreDomain, PrivateSectionRulesApply) {
  // blogspot.com is in the list's private section: each blog is its own registrable domain.
  EXPECT_EQ(registered_domain("a.someone.blogspot.com"), "someone.blogspot.com");
}

TEST(CoreDomain, ConcurrentUseIsConsistent) {
  auto work = [] {
    for (int i = 0; i < 2000; ++i) {
      if (registered_domain("A.B.Example.CO.UK") != "example.co.uk") return false;
    }
    return true;
  };
  bool a = false, b = false;
  std::thread t1([&] { a = work(); });
  std::thread t2([&] { b = work(); });
  t1.join();
  t2.join();
  EXPECT_TRUE(a);
  EXPECT_TRUE(b);
}

TEST(CoreDomain, ShannonEntropy) {
  EXPECT_DOUBLE_EQ(shannon_entropy(""), 0.0);
  EXPECT_DOUBLE_EQ(shannon_entropy("aaaa"), 0.0);
  EXPECT_DOUBLE_EQ(shannon_entropy("ab"), 1.0);
  EXPECT_DOUBLE_EQ(shannon_entropy("abcd"), 2.0);
  EXPECT_NEAR(shannon_entropy("www"), 0.0, 1e-12);
  EXPECT_NEAR(shannon_entropy("0123456789abcdef"), 4.0, 1e-12);
  // "google": g,o twice each, l,e once: 1.918 bits.
  EXPECT_NEAR(shannon_entropy("google"), 1.9183, 1e-3);
}

}  // namespace
}  // namespace pcapscope

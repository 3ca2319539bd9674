// The reader against real captures: for every file capinfos reads cleanly
// (MANIFEST.tsv status 0), the packet count and link type must be the same.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "pcapscope/capture.h"

namespace pcapscope::test {
namespace {

std::filesystem::path corpus_dir() { return std::filesystem::path(PCAPSCOPE_SHARED_DIR) / "corpus"; }

TEST(CaptureCorpus, PacketCountsAndLinkTypesMatchCapinfos) {
  std::filesystem::path manifest = corpus_dir() / "MANIFEST.tsv";
  // The corpus is part of the test set-up (CI has ../shared): its absence fails.
  ASSERT_TRUE(std::filesystem::exists(manifest)) << "shared corpus missing: " << manifest;
  std::ifstream in(manifest);
  std::string line;
  std::getline(in, line);  // header: file format linktype packets capinfos_status
  std::size_t checked = 0, mismatched = 0;
  while (std::getline(in, line)) {
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string field;
    while (std::getline(ss, field, '\t')) f.push_back(field);
    if (f.size() < 5 || f[4] != "0") continue;
    ++checked;
    auto r = CaptureReader::open((corpus_dir() / f[0]).string());
    if (!r.ok()) {
      ADD_FAILURE() << f[0] << ": " << r.error().message;
      ++mismatched;
      continue;
    }
    Packet p;
    std::uint64_t n = 0;
    std::string link;
    while ((*r)->next(p)) {
      if (n++ == 0) link = std::string(link_type_short_name(p.link_type));
    }
    if (std::to_string(n) != f[3] || (n > 0 && link != f[2])) {
      ++mismatched;
      ADD_FAILURE() << f[0] << ": capinfos " << f[3] << " packets (" << f[2] << "), pcapscope " << n << " (" << link
                    << ")";
    }
    if (mismatched > 20) break;  // the rest would only repeat the story
  }
  EXPECT_GT(checked, 0u);
  EXPECT_EQ(mismatched, 0u);
}

}  // namespace
}  // namespace pcapscope::test

// Writing packets out (carving): pcap or pcapng, preserving the original
// bytes, timestamps in their original resolution, and link types.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "pcapscope/capture.h"
#include "pcapscope/result.h"

namespace pcapscope {

enum class WriteFormat : std::uint8_t { kPcap, kPcapng };

// Picks the format from the file name: ".pcapng"/".ntar" -> pcapng, otherwise pcap.
WriteFormat write_format_for_path(const std::string& path);

class CaptureWriter {
 public:
  virtual ~CaptureWriter() = default;

  // Creates PATH (fails if it exists unless OVERWRITE). INTERFACES are the
  // interfaces packets will refer to (Packet::interface indexes them).
  // pcap holds one link type and one resolution: if the packets written use
  // several link types, write() fails with an error naming pcapng instead.
  static Result<std::unique_ptr<CaptureWriter>> create(const std::string& path, WriteFormat format,
                                                       const std::vector<Interface>& interfaces,
                                                       bool overwrite = false);

  [[nodiscard]] virtual Result<bool> write(const Packet& packet) = 0;
  // Flushes and closes; reports a write error (disk full ...) if there was one.
  [[nodiscard]] virtual Result<bool> close() = 0;
};

}  // namespace pcapscope

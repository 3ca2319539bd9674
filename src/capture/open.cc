// Choosing a reader: by magic number, never by file name (evidence is often
// renamed, and "-" has no name at all).
#include "capture/reader_base.h"
#include "capture/source.h"
#include "core/bytes.h"

namespace pcapscope::capture {

Result<std::unique_ptr<CaptureReader>> open_reader(std::unique_ptr<Source> source, const OpenOptions& options,
                                                   const std::string& path) {
  Bytes v = source->view(0, 4);
  if (v.empty()) return Error{source->stream_error().empty() ? "empty file" : source->stream_error()};
  if (v.size() < 4) return Error{"not a pcap or pcapng file (too short)"};
  std::uint32_t magic = load_le32(v.data());
  switch (magic) {
    case 0x0A0D0D0A:
      return open_pcapng(std::move(source), options, path);
    case 0xa1b2c3d4: case 0xd4c3b2a1:  // microseconds, either byte order
    case 0xa1b23c4d: case 0x4d3cb2a1:  // nanoseconds
    case 0xa1b2cd34: case 0x34cdb2a1:  // Kuznetzov's patched libpcap
      return open_pcap(std::move(source), options, path);
    default:
      break;
  }
  if (source->compression() != Compression::kNone) return Error{"decompressed data is not a pcap or pcapng file"};
  return Error{"not a pcap or pcapng file"};
}

}  // namespace pcapscope::capture

namespace pcapscope {

Result<std::unique_ptr<CaptureReader>> CaptureReader::open(const std::string& path, const OpenOptions& options) {
  auto source = capture::open_source(path, options);
  if (!source) return source.error();
  return capture::open_reader(std::move(*source), options, path);
}

}  // namespace pcapscope

// The config file: TOML read with toml++ (Debian's libtomlplusplus).
//
// TOML because it is what people already write for tools like this (Cargo,
// Suricata's successor configs, Zeek's zkg) and has no indentation traps; a
// flat namespace underneath (tables joined with '_') so a key in the file,
// an environment variable and `pcapscope config` all spell a setting the
// same way. Dates and times are not settings, so they are rejected.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include <toml++/toml.h>

#include "config/config.h"

namespace pcapscope::config::detail {

namespace {

// The text a setting's parser reads, for one TOML scalar.
bool scalar_text(const toml::node& n, std::string& out) {
  if (auto s = n.as_string()) {
    out = s->get();
  } else if (auto i = n.as_integer()) {
    out = std::to_string(i->get());
  } else if (auto f = n.as_floating_point()) {
    out = fmt::format("{}", f->get());
  } else if (auto b = n.as_boolean()) {
    out = b->get() ? "true" : "false";
  } else {
    return false;
  }
  return true;
}

Result<void> walk(const std::string& path, const toml::table& table, const std::string& prefix,
                  std::vector<FileEntry>& out) {
  for (const auto& [k, node] : table) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "_" + std::string(k.str());
    const auto line = static_cast<std::uint32_t>(node.source().begin.line);
    if (const toml::table* sub = node.as_table()) {
      auto r = walk(path, *sub, key, out);
      if (!r) return r;
      continue;
    }
    FileEntry e{key, {}, line};
    if (const toml::array* arr = node.as_array()) {
      for (const toml::node& item : *arr) {
        std::string t;
        if (!scalar_text(item, t)) {
          return Error{fmt::format("{}:{}: {}: arrays may hold only plain values", path, line, key)};
        }
        if (!e.text.empty()) e.text += ",";
        e.text += t;
      }
    } else if (!scalar_text(node, e.text)) {
      return Error{fmt::format("{}:{}: {}: unsupported value type (a date or time?)", path, line, key)};
    }
    out.push_back(std::move(e));
  }
  return {};
}

}  // namespace

Result<std::vector<FileEntry>> read_config_file(const std::string& path) {
  // Opened read-only by us, then parsed from memory: toml::parse_file would open it itself.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("{}: cannot open: {}", path, std::strerror(errno))};
  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Error{fmt::format("{}: cannot read: {}", path, std::strerror(err))};
    }
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > (1u << 20)) {
      ::close(fd);
      return Error{fmt::format("{}: larger than 1 MiB: not a config file", path)};
    }
  }
  ::close(fd);
  std::vector<FileEntry> out;
  try {
    const toml::table table = toml::parse(text, path);
    auto r = walk(path, table, "", out);
    if (!r) return r.error();
  } catch (const toml::parse_error& e) {
    return Error{fmt::format("{}:{}: TOML syntax error: {}", path, e.source().begin.line, e.description())};
  }
  return out;
}

}  // namespace pcapscope::config::detail

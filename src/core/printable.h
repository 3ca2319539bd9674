// Text for one line of a terminal or a log.
//
// Error messages quote what the user or the evidence gave: file names, config
// values, a TOML parser's view of a bad character. A newline or an escape
// sequence in there would break the one-line "pcapscope: WHAT: WHY" contract,
// or forge a second line a script then believes. printable() shows control
// characters as \n, \r, \t or \xNN; bytes from 0x80 up pass unchanged (UTF-8).
// Backslashes are left alone, so applying it twice changes nothing.
#pragma once

#include <string>
#include <string_view>

namespace pcapscope {

std::string printable(std::string_view s);

}  // namespace pcapscope

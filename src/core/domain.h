// Domain-name helpers shared by detectors and (later) filter/SQL functions.
//
// registered_domain() asks libpsl (Debian's libpsl with the publicsuffix
// package's list, the same list browsers use for cookie scopes) for the
// registrable domain, "eTLD+1": the part of a name one party registered.
// A DNS tunnel encodes data in labels left of that part, so grouping queries
// by it (as RITA and Zeek's dns-tunnels scripts do) gathers one tunnel's
// queries however many subdomains it invents. shannon_entropy() is the usual
// randomness measure of those labels.
#pragma once

#include <string_view>

namespace pcapscope {

// The registrable domain of NAME: "a.b.example.co.uk" -> "example.co.uk",
// "www.google.com" -> "google.com". Upper case is folded and one trailing
// dot ignored. A name that is itself a public suffix ("com", "co.uk",
// "in-addr.arpa") or has no registrable part returns the name itself (less
// the trailing dot), so callers always get a non-empty group key for a
// non-empty name; the empty name gives "".
//
// The result is a view into NAME when NAME is already lower case, otherwise
// into a thread_local buffer that the next call on the same thread reuses.
// Thread-safe: one libpsl context for the process, made on first use from
// the distribution's list (psl_latest), or libpsl's built-in list if that fails.
std::string_view registered_domain(std::string_view name);

// Shannon entropy of S's bytes in bits per character (0 for "" or "aaaa",
// log2(n) at most for n distinct characters).
double shannon_entropy(std::string_view s);

}  // namespace pcapscope

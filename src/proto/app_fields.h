// The application fields the protocol stage reports per frame, with
// Wireshark's names, so `packets --fields dns.qry.name` reads like tshark.
#pragma once

#include <cstdint>

#include "pcapscope/fields.h"

namespace pcapscope::proto {

enum class AppField : std::uint8_t {
  kDnsId, kDnsResponse, kDnsRcode, kDnsQryName, kDnsQryType, kDnsA, kDnsAaaa, kDnsRespTtl,
  kHttpMethod, kHttpHost, kHttpUri, kHttpUserAgent, kHttpResponseCode,
  kTlsHandshakeType, kTlsSni, kTlsJa3, kTlsJa3s, kTlsJa4,
  kSshProtocol,
  kCount
};

const FieldDef& app_field(AppField f);

}  // namespace pcapscope::proto

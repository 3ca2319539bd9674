// QUIC Initial packets: removes their protection and recovers the TLS
// handshake messages (ClientHello, ServerHello) their CRYPTO frames carry, so
// SNI and JA3/JA4 can be logged for QUIC as for TLS over TCP.
//
// Initial packets are encrypted, but with keys anyone can derive from the
// client's first Destination Connection ID (RFC 9001 5.2; RFC 9369 3.3 for
// v2), which is why a passive reader can do this at all. Nothing past the
// Initial packet number space (Handshake, 0-RTT, 1-RTT) is decrypted.
//
// QuicInitialReader handles one direction: datagrams in capture order, each
// possibly holding several coalesced long-header packets. It is bounded (one
// handshake message's worth of CRYPTO data, a fixed number of out-of-order
// fragments) and never throws: a packet it cannot use is counted under a
// named problem and the next packet is tried, because QUIC packets, unlike
// TLS records, can be decoded independently.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace pcapscope::proto::quic {

using Bytes = std::span<const std::uint8_t>;

inline constexpr std::size_t kMaxCidLength = 20;  // RFC 9000 17.2 (QUIC v1 and v2)
// Reassembly window of the CRYPTO stream: one 64 KiB handshake message
// (tls::kMaxHandshakeMessage) and its 4-byte header. Initial CRYPTO data is a
// ClientHello or a ServerHello; anything larger is not worth buffering.
inline constexpr std::size_t kMaxCryptoBuffer = 64 * 1024 + 4;
// Out-of-order CRYPTO pieces held at once. Chrome splits a ClientHello into
// a handful of frames in shuffled order; more holes than this is garbage.
inline constexpr std::size_t kMaxCryptoFragments = 64;

inline constexpr std::uint32_t kVersion1 = 0x00000001;       // RFC 9000
inline constexpr std::uint32_t kVersion2 = 0x6b3343cf;       // RFC 9369
inline constexpr std::uint32_t kVersionDraft29 = 0xff00001d;  // draft-ietf-quic-tls-29

// What differs between the versions this reader knows.
struct QuicVersionInfo {
  std::uint32_t version;
  std::string_view name;                // "v1", "v2", "draft-29"
  std::array<std::uint8_t, 20> salt;    // initial_salt
  std::string_view key_label;           // "quic key" / "quicv2 key"
  std::string_view iv_label;
  std::string_view hp_label;
  std::uint8_t initial_type;            // long-header type bits ((byte0 >> 4) & 3) of Initial
  std::uint8_t retry_type;
};
// nullptr for a version not in the table.
const QuicVersionInfo* quic_version_info(std::uint32_t version);

// True if UDP_PAYLOAD starts with an Initial packet header of a known
// version: long header with the fixed bit, Initial type bits, CIDs of at most
// 20 bytes, a token and a Length (at least the 20 bytes header protection
// needs). The Length may run past the payload: a capture's snaplen cuts
// client Initials (1200+ bytes) first, and a cut Initial is still QUIC.
bool looks_like_quic_initial(Bytes udp_payload);

enum class Side : std::uint8_t { kClient, kServer };

struct InitialKeys {
  std::array<std::uint8_t, 16> key{};  // AEAD_AES_128_GCM
  std::array<std::uint8_t, 12> iv{};
  std::array<std::uint8_t, 16> hp{};   // AES-128-ECB header protection
};
// The Initial keys SIDE sends with, from the client's first Destination
// Connection ID. False for an unknown version or if OpenSSL fails.
bool derive_initial_keys(std::uint32_t version, Bytes client_dcid, Side side, InitialKeys& out);

// Names (quic_problem_name) are stable: they appear in output.
enum class QuicProblem : std::uint8_t {
  kNone = 0,
  kBadHeader,         // "quic_bad_header": header cut short before its Length, a CID over 20 bytes,
                      //   or a Length too short to hold the header-protection sample
  kUnknownVersion,    // "quic_unknown_version": long header of a version not in the table
  kNoKeys,            // "quic_no_keys": server Initial before the client's DCID is known, or derivation failed
  kDecryptFailed,     // "quic_decrypt_failed": AEAD tag mismatch (wrong keys, damage, not QUIC)
  kBadFrame,          // "quic_bad_frame": truncated or unknown frame; the rest of that packet is dropped
  kCryptoTooFar,      // "quic_crypto_too_far": CRYPTO data past the reassembly window
  kCryptoFragmented,  // "quic_crypto_fragmented": too many CRYPTO holes; the stream stops
  kHandshakeTooLong,  // "quic_handshake_too_long": a handshake message over 64 KiB; the stream stops
  kTruncated,         // "quic_truncated": Length runs past the datagram (snaplen); the client's DCID is still learnt
  kCount
};
std::string_view quic_problem_name(QuicProblem p);

class QuicInitialReader {
 public:
  // Called once per complete handshake message; BODY excludes the 4-byte
  // handshake header and is valid only during the call (same contract as
  // tls::TlsRecordReader, so parse_client_hello/parse_server_hello apply).
  // It must not call back into the reader.
  using HandshakeCallback = std::function<void(std::uint8_t type, Bytes body)>;

  QuicInitialReader(Side side, HandshakeCallback on_handshake)
      : side_(side), on_handshake_(std::move(on_handshake)) {}

  // The client's original Destination Connection ID. The server direction
  // cannot decrypt anything without it (its packets carry other CIDs). The
  // client direction learns it from its first Initial and need not be told.
  // More than 20 bytes is ignored.
  void set_client_dcid(Bytes dcid);

  // One UDP payload of this direction.
  void on_datagram(Bytes payload);

  Side side() const { return side_; }
  // The DCID the keys in use were derived from (after a Retry, the client's
  // second DCID); empty until known.
  Bytes client_dcid() const { return Bytes(dcid_.data(), dcid_len_); }
  // Version of the last Initial packet decrypted; 0 before the first.
  std::uint32_t version() const { return version_; }
  std::uint64_t initial_packets() const { return initial_packets_; }     // Initial packets seen
  std::uint64_t decrypted_packets() const { return decrypted_packets_; }
  std::uint64_t handshake_messages() const { return messages_; }
  bool saw_connection_close() const { return saw_close_; }
  std::uint64_t close_error_code() const { return close_error_; }  // of the first CONNECTION_CLOSE
  // The first problem seen, and how often each occurred.
  QuicProblem problem() const { return problem_; }
  std::uint64_t problem_count(QuicProblem p) const { return problem_counts_[static_cast<std::size_t>(p)]; }
  // The CRYPTO stream gave up (kCryptoFragmented, kHandshakeTooLong); later
  // packets are still decrypted and counted, their CRYPTO data is dropped.
  bool crypto_stopped() const { return crypto_stopped_; }

 private:
  struct Header;
  void on_initial(Bytes packet, const Header& h);
  bool ensure_keys(std::uint32_t version, Bytes dcid);
  bool decrypt(Bytes packet, const Header& h, const InitialKeys& keys);
  void parse_frames(Bytes plain);
  void on_crypto(std::uint64_t offset, Bytes data);
  void deliver();
  void note(QuicProblem p);
  void stop_crypto(QuicProblem p);

  Side side_;
  HandshakeCallback on_handshake_;

  std::array<std::uint8_t, kMaxCidLength> dcid_{};
  std::uint8_t dcid_len_ = 0;
  std::uint8_t dcid_switches_ = 0;  // client DCID changes adopted (Retry), bounded
  bool keys_valid_ = false;
  std::uint32_t keys_version_ = 0;
  InitialKeys keys_;
  std::uint32_t version_ = 0;
  bool have_largest_pn_ = false;
  std::uint64_t largest_pn_ = 0;

  std::vector<std::uint8_t> scratch_;  // header then plaintext of the packet being opened (reused)
  std::size_t plain_len_ = 0;

  // CRYPTO stream: bytes from stream offset base_, received ranges (absolute
  // offsets, sorted, disjoint, not touching) for the holes.
  std::vector<std::uint8_t> crypto_;
  std::uint64_t base_ = 0;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_;
  bool crypto_stopped_ = false;

  std::uint64_t initial_packets_ = 0;
  std::uint64_t decrypted_packets_ = 0;
  std::uint64_t messages_ = 0;
  bool saw_close_ = false;
  std::uint64_t close_error_ = 0;
  QuicProblem problem_ = QuicProblem::kNone;
  std::array<std::uint64_t, static_cast<std::size_t>(QuicProblem::kCount)> problem_counts_{};
};

// Both directions of one QUIC session: hands the client's DCID (the first, or
// the one adopted after a Retry) to the server direction as it is learnt.
class QuicInitialSession {
 public:
  QuicInitialSession(QuicInitialReader::HandshakeCallback on_client,
                     QuicInitialReader::HandshakeCallback on_server)
      : client_(Side::kClient, std::move(on_client)), server_(Side::kServer, std::move(on_server)) {}

  void on_datagram(bool from_client, Bytes payload);

  const QuicInitialReader& client() const { return client_; }
  const QuicInitialReader& server() const { return server_; }

 private:
  QuicInitialReader client_;
  QuicInitialReader server_;
};

}  // namespace pcapscope::proto::quic

#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "model/instrument.hpp"

namespace mdg::record {

/// What a recording line holds (docs/recording.md): a frame the venue sent, a request the
/// gateway sent, a connection coming up or going down, or records the recorder had to drop
/// (its queue was full) at this point.
enum class record_kind : std::uint8_t { in, out, up, down, lost };
inline constexpr std::size_t record_kind_count = 5;
[[nodiscard]] std::string_view to_string(record_kind k) noexcept;
[[nodiscard]] std::optional<record_kind> parse_record_kind(std::string_view s) noexcept;

/// The first line of every recording file: what replay needs to rebuild the books exactly
/// (the category, each connection's topics, each instrument's precision).
struct recording_header {
    struct connection {
        std::string id;
        std::string url;
        std::vector<std::string> topics;
    };
    struct instrument {
        std::string symbol;
        model::instrument_spec spec;
    };
    std::string venue = "bybit";
    model::category cat = model::category::linear;
    std::string version;
    std::vector<connection> connections; ///< indexed by a record's "c"
    std::vector<instrument> instruments;
    unix_nanos opened{};        ///< when this file was opened
    std::uint64_t file_seq = 0; ///< 0 for the first file of a run, then 1, 2, ...
};

/// The format version written in every header (`"mdgate_recording":1`).
inline constexpr int format_version = 1;

/// Appends the header as one JSON line (with '\n').
void append_header_line(std::string& out, const recording_header& h);

/// Appends one record as a JSON line (with '\n'):
/// `{"t":<ns>,"c":<conn>,"d":"in","f":"<payload as a JSON string>"}`. A payload that is not
/// valid UTF-8 is written base64-encoded in `"b"` instead of `"f"`, so that the exact bytes
/// come back. `up` and `down` have no payload.
void append_record_line(std::string& out, record_kind k, std::uint32_t conn, unix_nanos t,
                        std::string_view payload);

/// Appends a `lost` record: `n` records were dropped here (`{"t":<ns>,"c":0,"d":"lost","n":5}`).
void append_lost_line(std::string& out, unix_nanos t, std::uint64_t n);

/// True when `line` is a recording header (it starts with `{"mdgate_recording":`).
[[nodiscard]] bool is_header_line(std::string_view line) noexcept;

/// One record read back; `payload` is valid until the next parse.
struct parsed_record {
    record_kind kind = record_kind::in;
    std::uint32_t conn = 0;
    unix_nanos t{};
    std::string_view payload;
    std::uint64_t lost = 0; ///< for record_kind::lost
};

/// Reads recording lines back. Owns its JSON parser and buffers; not thread-safe.
class line_parser {
  public:
    line_parser();
    ~line_parser();
    line_parser(const line_parser&) = delete;
    line_parser& operator=(const line_parser&) = delete;
    line_parser(line_parser&&) = delete;
    line_parser& operator=(line_parser&&) = delete;

    /// A record line; nullopt when it is not one (malformed JSON, a missing field).
    [[nodiscard]] std::optional<parsed_record> parse_record(std::string_view line);
    /// A header line; nullopt when it is not a valid header of a known version.
    [[nodiscard]] std::optional<recording_header> parse_header(std::string_view line);

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace mdg::record

#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "exchange/bybit/messages.hpp"
#include "model/instrument.hpp"

namespace mdg::exchange::bybit {

/// What the decoder needs to know about where a frame came from.
struct parse_context {
    model::category cat = model::category::linear;
    /// Instruments by symbol, with their precision. outlives: the decoder call.
    model::instrument_registry* registry = nullptr;
    /// Add symbols seen for the first time (replay of a capture) instead of failing with
    /// unknown_symbol (live feeds, where only subscribed symbols are expected).
    bool register_unknown = false;
    /// Local receive time of the frame.
    unix_nanos ts_recv;
};

struct decoder_options {
    std::size_t max_frame_bytes = 1 << 20;  ///< larger frames: frame_too_large
    std::size_t max_levels_per_side = 5000; ///< more levels in one message: too_many_levels
    std::size_t max_items = 5000;           ///< trades/candles/liquidations in one message
};

/// What the decoder had read of a frame it could not decode. A book message that fails after
/// its topic is known must not be dropped silently: its book would miss it (docs/feed.md).
struct decode_failure {
    errc reason = errc::ok;
    /// The topic was read and resolved (a known channel and symbol): `topic_text`, `topic` and
    /// `instrument` are set (`instrument` is not, for option trades' base-coin topics).
    bool topic_known = false;
    std::string_view topic_text; ///< views the decoder's buffer
    bybit::topic topic;
    model::instrument_id instrument;
    /// `type` as far as it was read: a message whose type is unknown counts as a snapshot.
    model::update_kind kind = model::update_kind::snapshot;
};

/// Decodes Bybit v5 public frames (data of every public topic, and control frames: acks of all
/// three shapes, pongs, error frames) with simdjson On-Demand into `decoded_frame`.
///
/// The ticker field a Bybit ticker key names ("lastPrice", "bid1Price", ...; the stream's and
/// the REST answer's spelling), or nullopt for a key that is not a numeric ticker field.
[[nodiscard]] std::optional<model::ticker_field>
ticker_field_of(std::string_view json_key) noexcept;

/// Each channel has one pure parse function (parse.cpp); this class only owns what they reuse:
/// the simdjson parser, a padded copy of the frame and the output buffers. Errors are values:
/// a bad frame returns an `mdg::errc` and leaves nothing half-applied (the caller applies the
/// output only on success). Never throws.
///
/// Owned by one connection (or one replay); not thread-safe.
class decoder {
  public:
    explicit decoder(decoder_options opts = {});
    ~decoder();
    decoder(const decoder&) = delete;
    decoder& operator=(const decoder&) = delete;
    decoder(decoder&&) noexcept;
    decoder& operator=(decoder&&) noexcept;

    /// Decodes one text frame. On success the returned frame (owned by the decoder) is valid
    /// until the next call.
    [[nodiscard]] result<const decoded_frame*> decode(std::string_view frame,
                                                      const parse_context& ctx);
    /// After a failed decode(): what it had read (its topic, when it got that far); valid until
    /// the next call.
    [[nodiscard]] const decode_failure& last_failure() const noexcept;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

} // namespace mdg::exchange::bybit

#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "exchange/bybit/topic.hpp"
#include "model/events.hpp"
#include "model/ticker.hpp"

namespace mdg::exchange::bybit {

/// What a frame turned out to be.
enum class frame_type : std::uint8_t {
    control,     ///< ack, pong or error frame (no topic)
    orderbook,   ///< `book` is filled
    trade,       ///< `trades` is filled
    ticker,      ///< `ticker` is filled
    kline,       ///< `klines` is filled
    liquidation, ///< `liquidations` is filled (allLiquidation or the deprecated liquidation)
};

/// Which request a control frame answers.
enum class control_op : std::uint8_t { subscribe, unsubscribe, ping, other };

/// The venue's reason for refusing a request, mapped once from its text (Bybit sends only
/// text; see docs/venues/bybit.md).
enum class reject_reason : std::uint8_t {
    none,
    handler_not_found,  ///< unknown or retired topic, or a topic of another category
    already_subscribed, ///< the whole request is rejected
    args_size,          ///< spot: more than 10 args in one request
    other,
};

[[nodiscard]] std::string_view to_string(reject_reason r) noexcept;

/// A decoded control frame. The views point into the decoder's buffers: valid until the next
/// decode.
struct control_frame {
    control_op op = control_op::other;
    bool success = false;
    bool is_pong = false;      ///< op "pong", or op "ping" with ret_msg "pong"
    bool has_req_id = false;   ///< spot omits req_id when the request had none
    bool command_resp = false; ///< option/spread shape: type COMMAND_RESP, data.failTopics
    std::string_view req_id;
    std::string_view conn_id;
    std::string_view ret_msg;
    reject_reason reason = reject_reason::none;
    std::string_view reject_topic;             ///< the topic named in ret_msg, if any
    std::vector<std::string_view> fail_topics; ///< COMMAND_RESP only
};

/// Everything one frame can decode into. The decoder owns one and reuses its buffers, so in
/// steady state decoding allocates nothing. Only the member named by `type` is meaningful.
struct decoded_frame {
    frame_type type = frame_type::control;
    std::string_view topic_text; ///< views the decoder's buffer
    bybit::topic topic;
    model::instrument_id instrument;
    std::uint32_t unknown_fields = 0; ///< keys mdgate does not know (counted, not errors)

    model::book_update book;
    model::ticker_update ticker;
    std::vector<model::trade> trades;
    std::vector<model::kline> klines;
    std::vector<model::liquidation> liquidations;
    control_frame control;

    std::vector<model::level> bid_buf; ///< storage behind book.bids
    std::vector<model::level> ask_buf; ///< storage behind book.asks
};

} // namespace mdg::exchange::bybit

#include "core/error.hpp"

#include <array>
#include <string>

namespace mdg {
namespace {

constexpr std::array<std::string_view, static_cast<std::size_t>(errc::count_)> names{
    "ok",
    "malformed_json",
    "truncated",
    "missing_field",
    "wrong_type",
    "invalid_number",
    "number_too_long",
    "precision_exceeded",
    "negative_value",
    "unknown_topic",
    "unknown_channel",
    "unknown_enum",
    "unknown_symbol",
    "symbol_mismatch",
    "too_many_levels",
    "frame_too_large",
    "invalid_argument",
    "limit_exceeded",
    "unavailable",
};

// boost's error_category has a protected non-virtual destructor by design.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class category final : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "mdg"; }
    std::string message(int ev) const override {
        return std::string(to_string(static_cast<errc>(ev)));
    }
};
#pragma GCC diagnostic pop

} // namespace

std::string_view to_string(errc e) noexcept {
    const auto i = static_cast<std::size_t>(e);
    return i < names.size() ? names[i] : std::string_view{"unknown"};
}

const boost::system::error_category& mdg_category() noexcept {
    static const category instance;
    return instance;
}

} // namespace mdg

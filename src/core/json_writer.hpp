#pragma once

#include <cmath>
#include <concepts>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "core/log.hpp"

namespace mdg::core {

/// How json_writer prints a finite double.
enum class json_doubles : std::uint8_t {
    six_digits, ///< at most six significant digits (`{:.6g}`): 12.3457, 1.5e+06; status pages
    round_trip, ///< the shortest text that reads back as the same double (`{}`); data files
};

/// A minimal streaming JSON writer for the status endpoints and the report: objects, arrays,
/// strings (escaped by core::json_escape), integers, doubles (finite; others become null),
/// booleans, null and optionals (empty ones become null). Commas are managed; the caller keeps
/// begin/end balanced and writes a key before each value inside an object. The output is
/// compact (no whitespace).
/// A plain value, one per document; not thread-safe.
class json_writer {
  public:
    json_writer() = default;
    explicit json_writer(json_doubles doubles) : doubles_(doubles) {}

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }

    void key(std::string_view k) {
        comma();
        string(k);
        out_ += ':';
        after_key_ = true;
    }
    template <class T> void field(std::string_view k, const T& v) {
        key(k);
        value(v);
    }

    void value(std::string_view s) {
        comma();
        string(s);
    }
    void value(const char* s) { value(std::string_view{s}); }
    void value(const std::string& s) { value(std::string_view{s}); }
    void value(bool b) {
        comma();
        out_ += b ? "true" : "false";
    }
    template <std::integral T>
    requires(!std::same_as<T, bool>) void value(T v) {
        comma();
        fmt::format_to(std::back_inserter(out_), "{}", v);
    }
    void value(double v) {
        comma();
        if (!std::isfinite(v)) {
            out_ += "null";
        } else if (doubles_ == json_doubles::round_trip) {
            fmt::format_to(std::back_inserter(out_), "{}", v);
        } else {
            fmt::format_to(std::back_inserter(out_), "{:.6g}", v);
        }
    }
    template <class T> void value(const std::optional<T>& v) {
        if (v) {
            value(*v);
        } else {
            null();
        }
    }
    void null() {
        comma();
        out_ += "null";
    }
    /// Writes `json` as the next value, unchanged: the caller guarantees it is one valid JSON
    /// value (a number it formatted, a document it built).
    void raw_value(std::string_view json) {
        comma();
        out_ += json;
    }
    /// Writes `s` as a JSON string without escaping it: the caller guarantees it holds no
    /// character that needs escaping (digits, a sign, a point: a formatted decimal).
    void plain_string(std::string_view s) {
        comma();
        out_ += '"';
        out_ += s;
        out_ += '"';
    }

    /// The text so far.
    [[nodiscard]] const std::string& str() const noexcept { return out_; }
    /// Moves the text out; the writer starts a new document afterwards.
    [[nodiscard]] std::string take() {
        first_ = true;
        after_key_ = false;
        return std::exchange(out_, {});
    }

  private:
    void open(char c) {
        comma();
        out_ += c;
        first_ = true;
    }
    void close(char c) {
        out_ += c;
        first_ = false;
    }
    void comma() {
        if (after_key_) {
            after_key_ = false;
            return;
        }
        if (!first_ && !out_.empty()) {
            out_ += ',';
        }
        first_ = false;
    }
    void string(std::string_view s) {
        out_ += '"';
        out_ += json_escape(s); // also replaces invalid UTF-8: the output stays JSON
        out_ += '"';
    }

    std::string out_;
    json_doubles doubles_ = json_doubles::six_digits;
    bool first_ = true;
    bool after_key_ = false;
};

} // namespace mdg::core

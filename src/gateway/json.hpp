#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "core/log.hpp"

namespace mdg::gateway {

/// A minimal streaming JSON writer for the status endpoints: objects, arrays, strings
/// (escaped by core::json_escape), integers, doubles (finite; others become null) and booleans.
/// Commas are managed; the caller keeps begin/end balanced.
class json_writer {
  public:
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
        if (v != v || v == 1.0 / 0.0 || v == -1.0 / 0.0) {
            out_ += "null";
        } else {
            fmt::format_to(std::back_inserter(out_), "{:.6g}", v);
        }
    }

    [[nodiscard]] const std::string& str() const noexcept { return out_; }

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
        out_ += core::json_escape(s); // also replaces invalid UTF-8: the output stays JSON
        out_ += '"';
    }

    std::string out_;
    bool first_ = true;
    bool after_key_ = false;
};

} // namespace mdg::gateway

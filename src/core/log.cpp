#include "core/log.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <memory>
#include <sys/stat.h>
#include <system_error>
#include <systemd/sd-journal.h>

#include <spdlog/sinks/base_sink.h>

namespace mdg::core {
namespace {

constexpr std::size_t level_count = static_cast<std::size_t>(spdlog::level::n_levels);

// One counter per spdlog level; relaxed: they are statistics, read by the metrics scrape.
std::array<std::atomic<std::uint64_t>, level_count>& line_counts() noexcept {
    static std::array<std::atomic<std::uint64_t>, level_count> counts{};
    return counts;
}

void count_line(spdlog::level::level_enum level) noexcept {
    const auto i = static_cast<std::size_t>(level);
    if (i < level_count) {
        line_counts()[i].fetch_add(1, std::memory_order_relaxed);
    }
}

// Length of the well-formed UTF-8 sequence starting at s[i] (1..4), or 0 when the byte there
// does not start one (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto byte = [&](std::size_t k) {
        return static_cast<unsigned char>(s[k]);
    };
    const unsigned char b0 = byte(i);
    if (b0 < 0x80) {
        return 1;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF) {
        len = 2;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
        len = 3;
        if (b0 == 0xE0) {
            lo = 0xA0; // overlong
        } else if (b0 == 0xED) {
            hi = 0x9F; // UTF-16 surrogates
        }
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
        len = 4;
        if (b0 == 0xF0) {
            lo = 0x90; // overlong
        } else if (b0 == 0xF4) {
            hi = 0x8F; // above U+10FFFF
        }
    } else {
        return 0;
    }
    if (s.size() - i < len) {
        return 0;
    }
    if (byte(i + 1) < lo || byte(i + 1) > hi) {
        return 0;
    }
    for (std::size_t k = 2; k < len; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) {
            return 0;
        }
    }
    return len;
}

constexpr std::string_view hex_digits = "0123456789abcdef";
constexpr std::string_view replacement_char = "\xEF\xBF\xBD"; // U+FFFD in UTF-8

// Appends `s` to `out`: each ASCII byte goes through on_ascii(out, c), which writes it raw or
// escaped; well-formed multi-byte UTF-8 is copied; any other byte becomes `invalid`.
template <class OnAscii>
void escape_into(std::string& out, std::string_view s, std::string_view invalid, OnAscii on_ascii) {
    out.reserve(out.size() + s.size());
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            on_ascii(out, c);
            ++i;
            continue;
        }
        const std::size_t len = utf8_sequence_length(s, i);
        if (len == 0) {
            out += invalid;
            ++i;
            continue;
        }
        out.append(s.substr(i, len));
        i += len;
    }
}

void append_hex_byte(std::string& out, unsigned char c) {
    out += hex_digits[c >> 4U];
    out += hex_digits[c & 0xFU];
}

// "2026-11-29", "06:00:00.123" of a UTC time point, with `sep` between date and time.
std::string utc_timestamp(std::chrono::system_clock::time_point tp, char sep) {
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(tp);
    const auto day = floor<days>(ms);
    const year_month_day ymd{day};
    const hh_mm_ss hms{ms - day};
    return fmt::format("{:04}-{:02}-{:02}{}{:02}:{:02}:{:02}.{:03}", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), sep,
                       hms.hours().count(), hms.minutes().count(), hms.seconds().count(),
                       hms.subseconds().count());
}

thread_local std::span<const log_field> tl_fields{};

bool reserved_key(std::string_view key) noexcept {
    return key.empty() || key == "ts" || key == "level" || key == "msg";
}

// Calls f(field) for each field worth rendering: not reserved, key not seen before.
template <class F> void for_each_field(std::span<const log_field> fields, F f) {
    for (std::size_t i = 0; i < fields.size(); ++i) {
        const auto& field = fields[i];
        if (reserved_key(field.key)) {
            continue;
        }
        const bool repeated =
            std::any_of(fields.begin(), fields.begin() + static_cast<std::ptrdiff_t>(i),
                        [&](const log_field& o) { return o.key == field.key; });
        if (!repeated) {
            f(field);
        }
    }
}

constexpr const char* journal_socket = "/run/systemd/journal/socket";

// sd_journal_sendv "fails silently if the journal is not available": it returns 0 without
// sending when the socket does not exist. Checking first turns that into an error, so the sink
// can fall back to stderr instead of dropping every line (in containers, chroots, CI).
int send_to_journald(const struct iovec* iov, int n) {
    struct stat st {};
    if (::stat(journal_socket, &st) != 0) {
        return -errno;
    }
    if (!S_ISSOCK(st.st_mode)) {
        return -ENOTSOCK;
    }
    return sd_journal_sendv(iov, n);
}

/// Renders each event in one format to a FILE*, or sends it to journald until that fails.
/// Owned by the spdlog logger(s) holding the shared_ptr; base_sink's mutex serialises calls.
class mdg_sink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    mdg_sink(const log_options& opts, std::FILE* out, journal_send_fn send)
        : format_(opts.format), journald_(opts.target == log_target::journald), ident_(opts.ident),
          out_(out), send_(send != nullptr ? send : &send_to_journald) {}

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        const log_record r{msg.time, msg.level,
                           std::string_view{msg.payload.data(), msg.payload.size()},
                           detail::current_fields()};
        if (journald_ && send_journal(r)) {
            count_line(r.level);
            return;
        }
        write_line(r);
    }

    void flush_() override { std::fflush(out_); }

  private:
    // True when journald took the event; on the first failure switches to `out_` for good.
    bool send_journal(const log_record& r) {
        const auto fields = journald_fields(r, ident_);
        std::vector<iovec> iov(fields.size());
        for (std::size_t i = 0; i < fields.size(); ++i) {
            // sd_journal_sendv takes non-const iov_base but only reads it.
            iov[i].iov_base = const_cast<char*>(fields[i].data()); // NOLINT
            iov[i].iov_len = fields[i].size();
        }
        const int rc = send_(iov.data(), static_cast<int>(iov.size()));
        if (rc >= 0) {
            return true;
        }
        journald_ = false;
        const std::string text =
            fmt::format("journald unavailable (sending to {}: {}); logging to stderr instead",
                        journal_socket, std::error_code(-rc, std::generic_category()).message());
        write_line(log_record{r.ts, spdlog::level::warn, text});
        return false;
    }

    void write_line(const log_record& r) {
        std::string line = format_ == log_format::json ? format_json(r) : format_text(r);
        line += '\n';
        // One fwrite per line, so lines from threads sharing the stream never interleave.
        std::fwrite(line.data(), 1, line.size(), out_);
        std::fflush(out_);
        count_line(r.level);
    }

    log_format format_;
    bool journald_;
    std::string ident_;
    std::FILE* out_; // outlives: this sink (stderr, or a test's file)
    journal_send_fn send_;
};

} // namespace

result<log_format> parse_log_format(std::string_view s) noexcept {
    if (s == "text") {
        return log_format::text;
    }
    if (s == "json") {
        return log_format::json;
    }
    return errc::invalid_argument;
}

result<log_target> parse_log_target(std::string_view s) noexcept {
    if (s == "stderr") {
        return log_target::standard_error;
    }
    if (s == "journald") {
        return log_target::journald;
    }
    return errc::invalid_argument;
}

std::string_view to_string(log_format f) noexcept {
    return f == log_format::json ? "json" : "text";
}

std::string_view to_string(log_target t) noexcept {
    return t == log_target::journald ? "journald" : "stderr";
}

std::uint64_t log_messages(spdlog::level::level_enum level) noexcept {
    const auto i = static_cast<std::size_t>(level);
    return i < level_count ? line_counts()[i].load(std::memory_order_relaxed) : 0;
}

std::string_view level_name(spdlog::level::level_enum level) noexcept {
    switch (level) {
    case spdlog::level::trace:
        return "trace";
    case spdlog::level::debug:
        return "debug";
    case spdlog::level::info:
        return "info";
    case spdlog::level::warn:
        return "warning";
    case spdlog::level::err:
        return "error";
    case spdlog::level::critical:
        return "critical";
    default:
        return "off";
    }
}

int syslog_priority(spdlog::level::level_enum level) noexcept {
    switch (level) {
    case spdlog::level::critical:
        return 2; // LOG_CRIT
    case spdlog::level::err:
        return 3; // LOG_ERR
    case spdlog::level::warn:
        return 4; // LOG_WARNING
    case spdlog::level::info:
        return 6; // LOG_INFO
    default:
        return 7; // LOG_DEBUG (debug, trace)
    }
}

std::string json_escape(std::string_view s) {
    std::string out;
    escape_into(out, s, "\\ufffd", [](std::string& o, unsigned char c) {
        switch (c) {
        case '"':
            o += "\\\"";
            break;
        case '\\':
            o += "\\\\";
            break;
        case '\n':
            o += "\\n";
            break;
        case '\r':
            o += "\\r";
            break;
        case '\t':
            o += "\\t";
            break;
        default:
            if (c < 0x20) {
                o += "\\u00";
                append_hex_byte(o, c);
            } else {
                o += static_cast<char>(c);
            }
        }
    });
    return out;
}

std::string printable_line(std::string_view s) {
    std::string out;
    escape_into(out, s, replacement_char, [](std::string& o, unsigned char c) {
        switch (c) {
        case '\n':
            o += "\\n";
            break;
        case '\r':
            o += "\\r";
            break;
        default:
            // Tab is printable for journald and grep; other C0 controls and DEL are not.
            if ((c < 0x20 && c != '\t') || c == 0x7F) {
                o += "\\x";
                append_hex_byte(o, c);
            } else {
                o += static_cast<char>(c);
            }
        }
    });
    return out;
}

std::string format_text(const log_record& r) {
    return fmt::format("{} [{}] {}", utc_timestamp(r.ts, ' '), level_name(r.level),
                       printable_line(r.msg));
}

std::string format_json(const log_record& r) {
    std::string out =
        fmt::format(R"({{"ts":"{}Z","level":"{}","msg":"{}")", utc_timestamp(r.ts, 'T'),
                    level_name(r.level), json_escape(r.msg));
    for_each_field(r.fields, [&](const log_field& f) {
        out += ",\"";
        out += json_escape(f.key);
        out += "\":";
        if (f.is_number) {
            out += std::to_string(f.number);
        } else {
            out += '"';
            out += json_escape(f.text);
            out += '"';
        }
    });
    out += '}';
    return out;
}

std::string journald_field_name(std::string_view key) {
    std::string name = "MDGATE_";
    name.reserve(name.size() + key.size());
    for (const char c : key) {
        if (c >= 'a' && c <= 'z') {
            name += static_cast<char>(c - 'a' + 'A');
        } else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
            name += c;
        } else {
            name += '_';
        }
    }
    return name;
}

std::vector<std::string> journald_fields(const log_record& r, std::string_view ident) {
    std::vector<std::string> fields;
    fields.reserve(4 + r.fields.size());
    fields.push_back("MESSAGE=" + printable_line(r.msg));
    fields.push_back(fmt::format("PRIORITY={}", syslog_priority(r.level)));
    fields.push_back(fmt::format("SYSLOG_IDENTIFIER={}", ident));
    fields.push_back(fmt::format("MDGATE_LEVEL={}", level_name(r.level)));
    std::vector<std::string> names{"MDGATE_LEVEL"};
    for_each_field(r.fields, [&](const log_field& f) {
        auto name = journald_field_name(f.key);
        // Distinct keys can map to one name ("a-b", "a_b"); the first wins, like in JSON.
        if (std::find(names.begin(), names.end(), name) != names.end()) {
            return;
        }
        names.push_back(name);
        fields.push_back(name + "=" +
                         (f.is_number ? std::to_string(f.number) : printable_line(f.text)));
    });
    return fields;
}

namespace detail {

std::span<const log_field> current_fields() noexcept {
    return tl_fields;
}

field_scope::field_scope(std::span<const log_field> fields) noexcept : prev_(tl_fields) {
    tl_fields = fields;
}

field_scope::~field_scope() {
    tl_fields = prev_;
}

void log_limited_line(spdlog::level::level_enum level, std::initializer_list<log_field> fields,
                      std::string_view text, std::uint64_t suppressed) {
    auto& logger = *spdlog::default_logger_raw();
    if (suppressed == 0) {
        const field_scope scope{std::span<const log_field>{fields.begin(), fields.size()}};
        logger.log(level, "{}", text);
        return;
    }
    std::vector<log_field> all(fields.begin(), fields.end());
    all.emplace_back("suppressed", suppressed);
    const field_scope scope{all};
    logger.log(level, "{} ({} similar suppressed)", text, suppressed);
}

} // namespace detail

spdlog::sink_ptr make_log_sink(const log_options& opts, std::FILE* out, journal_send_fn send) {
    return std::make_shared<mdg_sink>(opts, out, send);
}

void init_logging(const log_options& opts) {
    auto logger = std::make_shared<spdlog::logger>(opts.ident, make_log_sink(opts, stderr));
    logger->set_level(opts.level);
    spdlog::set_default_logger(std::move(logger));
}

bool log_limiter::allow(std::string_view key, std::chrono::steady_clock::time_point now,
                        std::uint64_t& suppressed) {
    const std::lock_guard lock{mu_};
    auto it = entries_.find(key);
    if (it == entries_.end()) {
        it = entries_.emplace(std::string(key), entry{}).first;
    }
    entry& e = it->second;
    if (e.seen && now - e.last < interval_) {
        ++e.suppressed;
        return false;
    }
    suppressed = e.suppressed;
    e = entry{now, 0, true};
    return true;
}

log_limiter& default_log_limiter() {
    static log_limiter instance;
    return instance;
}

} // namespace mdg::core

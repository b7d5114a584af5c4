#include "monitor/journal_baseline.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace mdg::monitor {
namespace {

using namespace std::string_view_literals;

constexpr std::int64_t nanos_per_second = 1'000'000'000;
constexpr std::int64_t nanos_per_day = 86'400 * nanos_per_second;
// The years whose every instant unix_nanos (signed 64-bit nanoseconds since 1970) can hold: it
// spans 1677-09-21 to 2262-04-11. A date outside them is not a log time.
constexpr std::int64_t min_year = 1678;
constexpr std::int64_t max_year = 2261;

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil); an
// out-of-range day rolls over into the next month, which is what Feb 29 of a guessed year needs.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool is_digit(char c) noexcept {
    return c >= '0' && c <= '9';
}
bool is_blank(char c) noexcept {
    return c == ' ' || c == '\t';
}

// Exactly `width` digits at s[pos], advancing pos.
bool read_fixed(std::string_view s, std::size_t& pos, std::size_t width, unsigned& out) noexcept {
    if (pos + width > s.size()) {
        return false;
    }
    unsigned v = 0;
    for (std::size_t i = 0; i < width; ++i) {
        const char c = s[pos + i];
        if (!is_digit(c)) {
            return false;
        }
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    pos += width;
    out = v;
    return true;
}

bool expect(std::string_view s, std::size_t& pos, char c) noexcept {
    if (pos < s.size() && s[pos] == c) {
        ++pos;
        return true;
    }
    return false;
}

struct civil_time {
    unsigned year = 0;
    unsigned month = 0;
    unsigned day = 0;
    std::int64_t nanos_of_day = 0;
};

// "HH:MM:SS" with an optional fraction after '.' or ','.
bool read_time_of_day(std::string_view s, std::size_t& pos, std::int64_t& nanos) noexcept {
    unsigned h = 0;
    unsigned m = 0;
    unsigned sec = 0;
    if (!read_fixed(s, pos, 2, h) || !expect(s, pos, ':') || !read_fixed(s, pos, 2, m) ||
        !expect(s, pos, ':') || !read_fixed(s, pos, 2, sec) || h > 23 || m > 59 || sec > 60) {
        return false;
    }
    nanos = (static_cast<std::int64_t>(h) * 3600 + m * 60 + sec) * nanos_per_second;
    if (pos + 1 < s.size() && (s[pos] == '.' || s[pos] == ',') && is_digit(s[pos + 1])) {
        ++pos;
        std::int64_t frac = 0;
        int digits = 0;
        while (pos < s.size() && is_digit(s[pos])) {
            if (digits < 9) {
                frac = frac * 10 + (s[pos] - '0');
                ++digits;
            }
            ++pos;
        }
        for (; digits < 9; ++digits) {
            frac *= 10;
        }
        nanos += frac;
    }
    return true;
}

// "YYYY-MM-DD" then ' ' or 'T' then a time of day.
bool read_datetime(std::string_view s, std::size_t& pos, civil_time& out) noexcept {
    if (!read_fixed(s, pos, 4, out.year) || !expect(s, pos, '-') ||
        !read_fixed(s, pos, 2, out.month) || !expect(s, pos, '-') ||
        !read_fixed(s, pos, 2, out.day) || out.year < min_year || out.year > max_year ||
        out.month < 1 || out.month > 12 || out.day < 1 || out.day > 31) {
        return false;
    }
    if (!expect(s, pos, ' ') && !expect(s, pos, 'T')) {
        return false;
    }
    return read_time_of_day(s, pos, out.nanos_of_day);
}

// "Z", "+hhmm", "+hh:mm", "-hh" ... after a timestamp; skipped (civil time is kept as printed).
void skip_zone(std::string_view s, std::size_t& pos) noexcept {
    if (pos < s.size() && s[pos] == 'Z') {
        ++pos;
        return;
    }
    if (pos + 2 < s.size() && (s[pos] == '+' || s[pos] == '-') && is_digit(s[pos + 1]) &&
        is_digit(s[pos + 2])) {
        pos += 3;
        while (pos < s.size() && (is_digit(s[pos]) || s[pos] == ':')) {
            ++pos;
        }
    }
}

struct journal_line {
    civil_time at;
    bool has_year = false;
    std::string_view message;
};

// "host ident[pid]: message" after the journal timestamp.
bool read_journal_tail(std::string_view s, std::size_t pos, std::string_view& message) noexcept {
    if (!expect(s, pos, ' ')) {
        return false;
    }
    const std::size_t host_end = s.find(' ', pos);
    if (host_end == std::string_view::npos || host_end == pos) {
        return false;
    }
    pos = host_end + 1;
    const std::size_t colon = s.find(':', pos);
    if (colon == std::string_view::npos || colon == pos) {
        return false;
    }
    const std::string_view ident = s.substr(pos, colon - pos);
    if (ident.find_first_of(" \t") != std::string_view::npos) {
        return false;
    }
    pos = colon + 1;
    if (pos < s.size() && s[pos] != ' ') {
        return false;
    }
    message = pos < s.size() ? s.substr(pos + 1) : std::string_view{};
    return true;
}

// journalctl's "short" (and "short-precise") prefix: "Nov 28 08:34:35 host ident[pid]: ".
bool read_short_prefix(std::string_view s, journal_line& out) noexcept {
    static constexpr std::array<std::string_view, 12> months{"Jan"sv, "Feb"sv, "Mar"sv, "Apr"sv,
                                                             "May"sv, "Jun"sv, "Jul"sv, "Aug"sv,
                                                             "Sep"sv, "Oct"sv, "Nov"sv, "Dec"sv};
    if (s.size() < 16) {
        return false;
    }
    const auto it = std::find(months.begin(), months.end(), s.substr(0, 3));
    if (it == months.end() || s[3] != ' ') {
        return false;
    }
    out.at.month = static_cast<unsigned>(it - months.begin()) + 1;
    std::size_t pos = 4;
    unsigned day = 0;
    if (s[pos] == ' ') { // syslog pads the day with a space
        ++pos;
        if (!read_fixed(s, pos, 1, day)) {
            return false;
        }
    } else if (!read_fixed(s, pos, 2, day)) {
        return false;
    }
    if (day < 1 || day > 31 || !expect(s, pos, ' ') ||
        !read_time_of_day(s, pos, out.at.nanos_of_day)) {
        return false;
    }
    out.at.day = day;
    out.has_year = false;
    return read_journal_tail(s, pos, out.message);
}

// journalctl's "short-iso" prefix: "2025-11-28T08:34:35+0000 host ident[pid]: ".
bool read_iso_prefix(std::string_view s, journal_line& out) noexcept {
    std::size_t pos = 0;
    if (s.size() < 25 || s[10] != 'T' || !read_datetime(s, pos, out.at)) {
        return false;
    }
    // journalctl always prints a numeric offset ("+0000", "+00:00"), never the 'Z' of
    // mdgate's own records.
    if (pos >= s.size() || (s[pos] != '+' && s[pos] != '-')) {
        return false; // a line that ends with its time (found by fuzz_journal under ASan)
    }
    skip_zone(s, pos);
    out.has_year = true;
    return read_journal_tail(s, pos, out.message);
}

enum class level : std::uint8_t { trace, debug, info, warning, error, critical };

std::optional<level> parse_level(std::string_view w) noexcept {
    std::string lower(w.size(), '\0');
    std::transform(w.begin(), w.end(), lower.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    if (lower == "trace") {
        return level::trace;
    }
    if (lower == "debug") {
        return level::debug;
    }
    if (lower == "info") {
        return level::info;
    }
    if (lower == "warning" || lower == "warn") {
        return level::warning;
    }
    if (lower == "error" || lower == "err") {
        return level::error;
    }
    if (lower == "critical" || lower == "crit" || lower == "fatal") {
        return level::critical;
    }
    return std::nullopt;
}

struct log_record {
    civil_time at;
    level lvl = level::info;
    std::string_view message;
};

// The old service: "2025-11-28 08:34:35,123 - logger.name - ERROR - message".
bool read_python_record(std::string_view s, std::size_t pos, log_record& out) noexcept {
    constexpr std::string_view sep = " - ";
    if (s.substr(pos, sep.size()) != sep) {
        return false;
    }
    pos += sep.size();
    const std::size_t name_end = s.find(sep, pos);
    if (name_end == std::string_view::npos || name_end == pos) {
        return false;
    }
    pos = name_end + sep.size();
    std::size_t level_end = s.find(" - ", pos);
    std::string_view message;
    if (level_end == std::string_view::npos) {
        // "... - ERROR -" with an empty message (trailing blank stripped).
        if (s.size() < pos + 2 || s.substr(s.size() - 2) != " -") {
            return false;
        }
        level_end = s.size() - 2;
    } else {
        message = s.substr(level_end + sep.size());
    }
    const auto lvl = parse_level(s.substr(pos, level_end - pos));
    if (!lvl) {
        return false;
    }
    out.lvl = *lvl;
    out.message = message;
    return true;
}

// mdgate: "[?2026-11-29[ T]06:00:00.123[Z]]? ([logger] )?([level]|level) message".
bool read_mdgate_record(std::string_view s, std::size_t pos, bool bracketed,
                        log_record& out) noexcept {
    skip_zone(s, pos);
    if (bracketed && !expect(s, pos, ']')) {
        return false;
    }
    const auto skip_blanks = [&] {
        while (pos < s.size() && is_blank(s[pos])) {
            ++pos;
        }
    };
    skip_blanks();
    for (int bracket = 0; bracket < 2; ++bracket) {
        if (pos < s.size() && s[pos] == '[') {
            const std::size_t close = s.find(']', pos);
            if (close == std::string_view::npos) {
                return false;
            }
            const std::string_view word = s.substr(pos + 1, close - pos - 1);
            pos = close + 1;
            skip_blanks();
            if (auto lvl = parse_level(word)) {
                out.lvl = *lvl;
                out.message = s.substr(pos);
                return true;
            }
            continue; // a logger name: the level follows
        }
        std::size_t end = pos;
        while (end < s.size() && !is_blank(s[end])) {
            ++end;
        }
        if (auto lvl = parse_level(s.substr(pos, end - pos))) {
            pos = end;
            skip_blanks();
            out.lvl = *lvl;
            out.message = s.substr(pos);
            return true;
        }
        return false;
    }
    return false;
}

// mdgate's JSON lines (core::format_json):
// {"ts":"2026-11-29T06:00:00.123Z","level":"warning","msg":"..."}. The message stays
// JSON-escaped: the markers contain nothing that would be escaped.
bool read_json_record(std::string_view s, log_record& out) noexcept {
    constexpr std::string_view head = R"({"ts":")";
    constexpr std::string_view level_key = R"(","level":")";
    constexpr std::string_view msg_key = R"(","msg":")";
    constexpr std::string_view tail = R"("})";
    if (s.substr(0, head.size()) != head) {
        return false;
    }
    std::size_t pos = head.size();
    if (!read_datetime(s, pos, out.at)) {
        return false;
    }
    skip_zone(s, pos);
    if (s.substr(pos, level_key.size()) != level_key) {
        return false;
    }
    pos += level_key.size();
    const std::size_t level_end = s.find('"', pos);
    if (level_end == std::string_view::npos) {
        return false;
    }
    const auto lvl = parse_level(s.substr(pos, level_end - pos));
    pos = level_end;
    if (!lvl || s.substr(pos, msg_key.size()) != msg_key || s.size() < pos + msg_key.size() + 2 ||
        s.substr(s.size() - tail.size()) != tail) {
        return false;
    }
    pos += msg_key.size();
    out.lvl = *lvl;
    out.message = s.substr(pos, s.size() - tail.size() - pos);
    return true;
}

bool read_record(std::string_view s, log_record& out) noexcept {
    if (!s.empty() && s.front() == '{') {
        return read_json_record(s, out);
    }
    std::size_t pos = 0;
    const bool bracketed = expect(s, pos, '[');
    if (!read_datetime(s, pos, out.at)) {
        return false;
    }
    if (!bracketed && read_python_record(s, pos, out)) {
        return true;
    }
    return read_mdgate_record(s, pos, bracketed, out);
}

bool is_meta_line(std::string_view s) noexcept {
    return s.size() >= 5 && s.substr(0, 3) == "-- " && s.substr(s.size() - 3) == " --";
}

bool starts_with_full_traceback(std::string_view message) noexcept {
    // "[HANDLER_TIMEOUT] Full traceback: ..." or a bare "Full traceback: ...".
    if (!message.empty() && message.front() == '[') {
        const std::size_t close = message.find(']');
        if (close == std::string_view::npos) {
            return false;
        }
        message.remove_prefix(close + 1);
    }
    while (!message.empty() && is_blank(message.front())) {
        message.remove_prefix(1);
    }
    return message.substr(0, 15) == "Full traceback:";
}

// "WebSocket messages received: 45,012 in the last 60 seconds".
bool read_throughput(std::string_view message, std::uint64_t& messages,
                     std::uint32_t& interval) noexcept {
    constexpr std::string_view head = "WebSocket messages received: ";
    constexpr std::string_view mid = " in the last ";
    constexpr std::string_view tail = " seconds";
    const std::size_t at = message.find(head);
    if (at == std::string_view::npos) {
        return false;
    }
    std::size_t pos = at + head.size();
    std::uint64_t n = 0;
    bool any = false;
    while (pos < message.size() && (is_digit(message[pos]) || (any && message[pos] == ','))) {
        if (message[pos] != ',') {
            const auto digit = static_cast<std::uint64_t>(message[pos] - '0');
            if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) {
                return false;
            }
            n = n * 10 + digit;
            any = true;
        }
        ++pos;
    }
    if (!any || message.substr(pos, mid.size()) != mid) {
        return false;
    }
    pos += mid.size();
    const std::size_t secs_start = pos;
    while (pos < message.size() && is_digit(message[pos])) {
        ++pos;
    }
    std::uint32_t secs = 0;
    const auto [end, ec] = std::from_chars(message.data() + secs_start, message.data() + pos, secs);
    if (ec != std::errc{} || end == message.data() + secs_start ||
        message.substr(pos, tail.size()) != tail) {
        return false;
    }
    messages = n;
    interval = secs;
    return true;
}

// Dated records are within [min_year, max_year]; a year-less prefix's year (the base year plus
// the Dec -> Jan wraps before it) is clamped into it, so no journal overflows the nanoseconds.
std::int64_t civil_to_nanos(std::int64_t year, unsigned month, unsigned day,
                            std::int64_t nanos_of_day) noexcept {
    year = std::clamp(year, min_year, max_year);
    return days_from_civil(year, month, day) * nanos_per_day + nanos_of_day;
}

// Orders stamps of the same kind (all with a year, or all year offsets).
bool stamp_less(int ya, unsigned ma, unsigned da, std::int64_t na, int yb, unsigned mb, unsigned db,
                std::int64_t nb) noexcept {
    if (ya != yb) {
        return ya < yb;
    }
    if (ma != mb) {
        return ma < mb;
    }
    if (da != db) {
        return da < db;
    }
    return na < nb;
}

} // namespace

double baseline::per_hour(std::uint64_t count) const noexcept {
    if (!(hours > 0.0)) {
        return std::numeric_limits<double>::quiet_NaN();
    }
    return static_cast<double>(count) / hours;
}

journal_scanner::journal_scanner(journal_options opts) : opts_(std::move(opts)) {
    counts_.source = opts_.source;
}

void journal_scanner::note_time(const stamp& s) {
    auto& first = s.has_year ? first_dated_ : first_undated_;
    auto& last = s.has_year ? last_dated_ : last_undated_;
    const auto less = [](const stamp& a, const stamp& b) {
        return stamp_less(a.year, a.month, a.day, a.nanos_of_day, b.year, b.month, b.day,
                          b.nanos_of_day);
    };
    if (!first || less(s, *first)) {
        first = s;
    }
    if (!last || less(*last, s)) {
        last = s;
    }
}

unix_nanos journal_scanner::resolve(const stamp& s, int base_year) const noexcept {
    const std::int64_t year = s.has_year ? s.year : std::int64_t{base_year} + s.year;
    return unix_nanos{civil_to_nanos(year, s.month, s.day, s.nanos_of_day)};
}

void journal_scanner::feed_line(std::string_view line) {
    if (!line.empty() && line.back() == '\r') {
        line.remove_suffix(1);
    }
    if (std::all_of(line.begin(), line.end(), is_blank)) {
        return;
    }
    ++counts_.lines_total;
    if (is_meta_line(line)) {
        ++counts_.lines_meta;
        return;
    }

    journal_line j;
    bool journal = read_short_prefix(line, j) || read_iso_prefix(line, j);
    log_record rec;
    bool is_record = read_record(journal ? j.message : line, rec);
    if (journal && !is_record && read_record(line, rec)) {
        // A record whose level and message happened to look like "host ident: ...".
        journal = false;
        is_record = true;
    }
    const std::string_view payload = journal ? j.message : line;
    if (!journal && !is_record) {
        ++counts_.lines_unparseable;
        return;
    }
    if (!is_record) {
        ++counts_.lines_without_record;
    }

    // The line's time: the journal's when it has a prefix (one clock for the whole file),
    // else the record's.
    stamp at;
    if (journal) {
        if (j.has_year) {
            at = {static_cast<int>(j.at.year), true, j.at.month, j.at.day, j.at.nanos_of_day};
        } else {
            if (last_month_ != 0 && j.at.month < last_month_) {
                ++year_offset_; // Dec -> Jan: journal lines are in time order
            }
            last_month_ = j.at.month;
            at = {year_offset_, false, j.at.month, j.at.day, j.at.nanos_of_day};
            if (is_record && !base_year_) {
                // Anchor the year-less prefixes on the first dated record: the base year that
                // puts this prefix closest to the record's own time (they may sit on either
                // side of a new year when one is local time and the other UTC).
                const std::int64_t rec_ns =
                    civil_to_nanos(rec.at.year, rec.at.month, rec.at.day, rec.at.nanos_of_day);
                int best = 0;
                std::int64_t best_gap = std::numeric_limits<std::int64_t>::max();
                for (int delta = -1; delta <= 1; ++delta) {
                    const int candidate = static_cast<int>(rec.at.year) - year_offset_ + delta;
                    const std::int64_t gap =
                        std::abs(civil_to_nanos(candidate + year_offset_, j.at.month, j.at.day,
                                                j.at.nanos_of_day) -
                                 rec_ns);
                    if (gap < best_gap) {
                        best_gap = gap;
                        best = candidate;
                    }
                }
                base_year_ = best;
            }
        }
    } else {
        at = {static_cast<int>(rec.at.year), true, rec.at.month, rec.at.day, rec.at.nanos_of_day};
    }
    note_time(at);

    const std::string_view message = is_record ? rec.message : payload;
    const bool follow_up = starts_with_full_traceback(message);
    if (is_record && rec.lvl >= level::error) {
        ++counts_.error_lines;
        if (!follow_up) {
            ++counts_.error_events;
        }
    }
    if (message.find("[HANDLER_TIMEOUT]") != std::string_view::npos) {
        ++counts_.handler_timeout_lines;
        if (!follow_up) {
            ++counts_.handler_timeouts;
        }
    }
    if (message.find("Network connectivity validation failed") != std::string_view::npos) {
        ++counts_.network_validation_failures;
    }
    if (message.find("Message callback timeout for") != std::string_view::npos) {
        ++counts_.callback_timeouts;
    }
    std::uint64_t messages = 0;
    std::uint32_t interval = 0;
    if (read_throughput(message, messages, interval)) {
        samples_.push_back({at, messages, interval});
    }
}

baseline journal_scanner::finish() const {
    baseline out = counts_;
    const int base = base_year_.value_or(opts_.assumed_year.value_or(1970));
    std::optional<unix_nanos> first;
    std::optional<unix_nanos> last;
    for (const auto* s : {&first_dated_, &first_undated_}) {
        if (*s) {
            const unix_nanos t = resolve(**s, base);
            first = first ? std::min(*first, t) : t;
        }
    }
    for (const auto* s : {&last_dated_, &last_undated_}) {
        if (*s) {
            const unix_nanos t = resolve(**s, base);
            last = last ? std::max(*last, t) : t;
        }
    }
    out.first_seen = first;
    out.last_seen = last;
    // Two dates each within unix_nanos' years can still be further apart than an int64 of
    // nanoseconds holds (1738 to 2126: found by fuzz_journal): then in doubles, which lose a
    // few hundred nanoseconds of such a span; exact otherwise.
    constexpr double ns_per_hour = 3.6e12;
    out.hours = 0.0;
    if (first && last) {
        std::int64_t span = 0;
        out.hours = __builtin_sub_overflow(last->value, first->value, &span)
                        ? (static_cast<double>(last->value) - static_cast<double>(first->value)) /
                              ns_per_hour
                        : static_cast<double>(span) / ns_per_hour;
    }
    out.throughput.reserve(samples_.size());
    for (const pending_sample& s : samples_) {
        out.throughput.push_back({resolve(s.at, base), s.messages, s.interval_seconds});
    }
    return out;
}

baseline scan_journal(std::string_view text, const journal_options& opts) {
    journal_scanner scanner{opts};
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        scanner.feed_line(text.substr(0, nl));
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    }
    return scanner.finish();
}

result<baseline> scan_journal_file(const std::string& path, const journal_options& opts,
                                   std::string& error) {
    error.clear();
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        const int err = errno;
        error = fmt::format("cannot open {}: {}", path, std::strerror(err));
        return boost::system::error_code(err != 0 ? err : ENOENT,
                                         boost::system::generic_category());
    }
    journal_scanner scanner{opts};
    for (std::string line; std::getline(in, line);) {
        scanner.feed_line(line);
    }
    if (in.bad()) {
        error = fmt::format("error reading {}", path);
        return boost::system::error_code(EIO, boost::system::generic_category());
    }
    return scanner.finish();
}

// ---------------------------------------------------------------------------------------------
// TOML

namespace {

struct count_key {
    std::string_view key;
    std::uint64_t baseline::*field;
};

constexpr std::array<count_key, 6> count_keys{{
    {"handler_timeouts", &baseline::handler_timeouts},
    {"handler_timeout_lines", &baseline::handler_timeout_lines},
    {"network_validation_failures", &baseline::network_validation_failures},
    {"callback_timeouts", &baseline::callback_timeouts},
    {"error_lines", &baseline::error_lines},
    {"error_events", &baseline::error_events},
}};

constexpr std::array<count_key, 4> line_keys{{
    {"total", &baseline::lines_total},
    {"without_record", &baseline::lines_without_record},
    {"meta", &baseline::lines_meta},
    {"unparseable", &baseline::lines_unparseable},
}};

std::int64_t to_toml_int(std::uint64_t v) noexcept {
    // TOML integers are signed 64-bit; no log holds 2^63 lines.
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    return static_cast<std::int64_t>(v < max ? v : max);
}

toml::date_time to_toml_time(unix_nanos t) {
    const std::int64_t days =
        (t.value >= 0 ? t.value : t.value - (nanos_per_day - 1)) / nanos_per_day;
    const std::int64_t nod = t.value - days * nanos_per_day;
    const auto ymd = std::chrono::year_month_day{
        std::chrono::sys_days{std::chrono::days{static_cast<std::int32_t>(days)}}};
    const std::int64_t secs = nod / nanos_per_second;
    toml::date d{static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                 static_cast<unsigned>(ymd.day())};
    toml::time tm{static_cast<unsigned>(secs / 3600), static_cast<unsigned>(secs / 60 % 60),
                  static_cast<unsigned>(secs % 60), static_cast<unsigned>(nod % nanos_per_second)};
    return toml::date_time{d, tm};
}

unix_nanos from_toml_time(const toml::date_time& dt) noexcept {
    std::int64_t ns = civil_to_nanos(
        dt.date.year, dt.date.month, dt.date.day,
        (std::int64_t{dt.time.hour} * 3600 + std::int64_t{dt.time.minute} * 60 + dt.time.second) *
                nanos_per_second +
            dt.time.nanosecond);
    if (dt.offset) {
        ns -= std::int64_t{dt.offset->minutes} * 60 * nanos_per_second;
    }
    return unix_nanos{ns};
}

// One-line reading helpers: each returns false after writing an error naming the key.
class toml_reader {
  public:
    explicit toml_reader(std::string& error) : error_(error) {}

    bool fail(std::string_view key, std::string_view what) {
        error_ = fmt::format("{}: {}", key, what);
        return false;
    }

    bool count(const toml::table& t, std::string_view prefix, std::string_view key, bool required,
               std::uint64_t& out) {
        const std::string name =
            prefix.empty() ? std::string(key) : fmt::format("{}.{}", prefix, key);
        const toml::node* n = t.get(key);
        if (n == nullptr) {
            return !required || fail(name, "missing");
        }
        const auto* v = n->as_integer();
        if (v == nullptr) {
            return fail(name, "must be an integer");
        }
        if (v->get() < 0) {
            return fail(name, "must not be negative");
        }
        out = static_cast<std::uint64_t>(v->get());
        return true;
    }

    bool number(const toml::node* n, std::string_view name, double& out) {
        if (n == nullptr) {
            return fail(name, "missing");
        }
        if (const auto* i = n->as_integer()) {
            out = static_cast<double>(i->get());
        } else if (const auto* f = n->as_floating_point()) {
            out = f->get();
        } else {
            return fail(name, "must be a number");
        }
        if (!std::isfinite(out)) {
            return fail(name, "must be finite");
        }
        return true;
    }

    bool time(const toml::node* n, std::string_view name, std::optional<unix_nanos>& out) {
        if (n == nullptr) {
            return true;
        }
        const auto* dt = n->as_date_time();
        if (dt == nullptr) {
            return fail(name, "must be a date-time (e.g. 2025-10-29T07:00:00)");
        }
        if (dt->get().date.year < min_year || dt->get().date.year > max_year) {
            return fail(name, fmt::format("the year must be {} to {}", min_year, max_year));
        }
        out = from_toml_time(dt->get());
        return true;
    }

    bool only_known(const toml::table& t, std::string_view prefix,
                    std::initializer_list<std::string_view> known) {
        for (const auto& [k, v] : t) {
            const std::string_view key = k.str();
            if (std::find(known.begin(), known.end(), key) == known.end()) {
                return fail(prefix.empty() ? std::string(key) : fmt::format("{}.{}", prefix, key),
                            "unknown key");
            }
        }
        return true;
    }

  private:
    std::string& error_; // outlives: the read_baseline_toml call
};

} // namespace

std::string write_baseline_toml(const baseline& b) {
    toml::table doc;
    doc.insert("source", b.source);
    if (b.first_seen) {
        doc.insert("first_seen", to_toml_time(*b.first_seen));
    }
    if (b.last_seen) {
        doc.insert("last_seen", to_toml_time(*b.last_seen));
    }
    doc.insert("hours", b.hours);

    toml::table counts;
    toml::table rates;
    for (const auto& [key, field] : count_keys) {
        counts.insert(key, to_toml_int(b.*field));
        if (b.hours > 0.0) {
            rates.insert(key, b.per_hour(b.*field));
        }
    }
    doc.insert("counts", std::move(counts));
    if (b.hours > 0.0) {
        doc.insert("rates_per_hour", std::move(rates));
    }
    toml::table lines;
    for (const auto& [key, field] : line_keys) {
        lines.insert(key, to_toml_int(b.*field));
    }
    doc.insert("lines", std::move(lines));
    if (!b.throughput.empty()) {
        toml::array samples;
        for (const throughput_sample& s : b.throughput) {
            samples.push_back(toml::table{{"at", to_toml_time(s.at)},
                                          {"messages", to_toml_int(s.messages)},
                                          {"interval_seconds", std::int64_t{s.interval_seconds}}});
        }
        doc.insert("throughput", std::move(samples));
    }
    std::ostringstream out;
    out << "# mdgate baseline: raw event counts over an observed span, for exact rate "
           "statistics.\n# rates_per_hour is informational; counts and hours are the data.\n"
        << doc << '\n';
    return std::move(out).str();
}

result<baseline> read_baseline_toml(std::string_view text, std::string& error) {
    error.clear();
    const auto invalid = make_error_code(errc::invalid_argument);
    toml::table doc;
    try {
        doc = toml::parse(text, std::string_view{"baseline"});
    } catch (const toml::parse_error& e) {
        std::string what(e.description());
        std::replace(what.begin(), what.end(), '\n', ' ');
        error = fmt::format("line {}, column {}: {}", e.source().begin.line,
                            e.source().begin.column, what);
        return invalid;
    }
    toml_reader r{error};
    baseline b;
    if (!r.only_known(doc, "",
                      {"source", "first_seen", "last_seen", "hours", "counts", "rates_per_hour",
                       "lines", "throughput"})) {
        return invalid;
    }
    const auto* source = doc.get_as<std::string>("source");
    if (source == nullptr) {
        r.fail("source", doc.contains("source") ? "must be a string" : "missing");
        return invalid;
    }
    b.source = source->get();
    if (!r.number(doc.get("hours"), "hours", b.hours)) {
        return invalid;
    }
    if (b.hours < 0.0) {
        r.fail("hours", "must not be negative");
        return invalid;
    }
    if (!r.time(doc.get("first_seen"), "first_seen", b.first_seen) ||
        !r.time(doc.get("last_seen"), "last_seen", b.last_seen)) {
        return invalid;
    }
    if (b.first_seen && b.last_seen && *b.last_seen < *b.first_seen) {
        r.fail("last_seen", "is before first_seen");
        return invalid;
    }

    const auto* counts = doc.get_as<toml::table>("counts");
    if (counts == nullptr) {
        r.fail("counts", doc.contains("counts") ? "must be a table" : "missing");
        return invalid;
    }
    std::vector<std::string_view> count_names;
    for (const auto& [key, field] : count_keys) {
        count_names.push_back(key);
        if (!r.count(*counts, "counts", key, true, b.*field)) {
            return invalid;
        }
    }
    for (const auto& [k, v] : *counts) {
        if (std::find(count_names.begin(), count_names.end(), k.str()) == count_names.end()) {
            r.fail(fmt::format("counts.{}", k.str()), "unknown key");
            return invalid;
        }
    }

    if (const toml::node* rates_node = doc.get("rates_per_hour")) {
        const auto* rates = rates_node->as_table();
        if (rates == nullptr) {
            r.fail("rates_per_hour", "must be a table");
            return invalid;
        }
        for (const auto& [k, v] : *rates) {
            const std::string name = fmt::format("rates_per_hour.{}", k.str());
            // A named copy: clang 14 cannot capture a structured binding in a lambda.
            const std::string_view key = k.str();
            const auto it = std::find_if(count_keys.begin(), count_keys.end(),
                                         [&](const count_key& c) { return c.key == key; });
            if (it == count_keys.end()) {
                r.fail(name, "unknown key");
                return invalid;
            }
            double rate = 0;
            if (!r.number(&v, name, rate)) {
                return invalid;
            }
            const double expected = b.per_hour(b.*(it->field));
            if (!(std::fabs(rate - expected) <= 1e-9 * std::max(1.0, std::fabs(expected)))) {
                r.fail(name, fmt::format("{} does not match counts.{} / hours = {}", rate, it->key,
                                         expected));
                return invalid;
            }
        }
    }

    if (const toml::node* lines_node = doc.get("lines")) {
        const auto* lines = lines_node->as_table();
        if (lines == nullptr) {
            r.fail("lines", "must be a table");
            return invalid;
        }
        if (!r.only_known(*lines, "lines", {"total", "without_record", "meta", "unparseable"})) {
            return invalid;
        }
        for (const auto& [key, field] : line_keys) {
            if (!r.count(*lines, "lines", key, false, b.*field)) {
                return invalid;
            }
        }
    }

    if (const toml::node* tp = doc.get("throughput")) {
        const auto* arr = tp->as_array();
        if (arr == nullptr) {
            r.fail("throughput", "must be an array of tables");
            return invalid;
        }
        std::size_t i = 0;
        for (const toml::node& n : *arr) {
            const std::string name = fmt::format("throughput[{}]", i++);
            const auto* t = n.as_table();
            if (t == nullptr) {
                r.fail(name, "must be a table");
                return invalid;
            }
            if (!r.only_known(*t, name, {"at", "messages", "interval_seconds"})) {
                return invalid;
            }
            std::optional<unix_nanos> at;
            std::uint64_t messages = 0;
            std::uint64_t interval = 0;
            if (!r.time(t->get("at"), name + ".at", at) ||
                !r.count(*t, name, "messages", true, messages) ||
                !r.count(*t, name, "interval_seconds", true, interval)) {
                return invalid;
            }
            if (!at) {
                r.fail(name + ".at", "missing");
                return invalid;
            }
            if (interval > std::numeric_limits<std::uint32_t>::max()) {
                r.fail(name + ".interval_seconds", "too large");
                return invalid;
            }
            b.throughput.push_back({*at, messages, static_cast<std::uint32_t>(interval)});
        }
    }
    return b;
}

} // namespace mdg::monitor

#include "record/recording_writer.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <unistd.h>
#include <vector>
#include <zstd.h>

#include <fmt/format.h>

#include "core/log.hpp"

namespace mdg::record {

namespace fs = std::filesystem;

bool check_directory(const fs::path& dir, std::string& error) {
    std::error_code ec;
    const auto st = fs::status(dir, ec);
    if (!fs::exists(st)) {
        error = fmt::format("record directory '{}' does not exist", dir.string());
        return false;
    }
    if (!fs::is_directory(st)) {
        error = fmt::format("record directory '{}' is not a directory", dir.string());
        return false;
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        error = fmt::format("record directory '{}' is not writable: {}", dir.string(),
                            std::strerror(errno));
        return false;
    }
    return true;
}

struct recording_writer::zstd_state {
    ZSTD_CCtx* cctx = ZSTD_createCCtx();
    std::vector<char> out = std::vector<char>(ZSTD_CStreamOutSize());
    zstd_state() = default;
    zstd_state(const zstd_state&) = delete;
    zstd_state& operator=(const zstd_state&) = delete;
    zstd_state(zstd_state&&) = delete;
    zstd_state& operator=(zstd_state&&) = delete;
    ~zstd_state() { ZSTD_freeCCtx(cctx); }
};

recording_writer::recording_writer(writer_options opts, recording_header header,
                                   recorder_stats& stats, const core::clock& clock)
    : opts_(std::move(opts)), header_(std::move(header)), stats_(stats), clock_(clock) {
    if (opts_.zstd_level > 0) {
        z_ = std::make_unique<zstd_state>();
        ZSTD_CCtx_setParameter(z_->cctx, ZSTD_c_compressionLevel, opts_.zstd_level);
        ZSTD_CCtx_setParameter(z_->cctx, ZSTD_c_checksumFlag, 1);
    }
    line_.reserve(1 << 16);
}

recording_writer::~recording_writer() {
    close();
}

namespace {

// 20261206T124751.123Z: sorts by time as text.
std::string utc_stamp(unix_nanos t) {
    const auto secs = static_cast<std::time_t>(t.value / 1'000'000'000);
    const auto millis = (t.value / 1'000'000) % 1000;
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

} // namespace

bool recording_writer::open(std::string& error) {
    if (!check_directory(opts_.dir, error)) {
        return false;
    }
    return open_next(error);
}

bool recording_writer::open_next(std::string& error) {
    const auto now = clock_.now();
    const char* ext = z_ ? ".jsonl.zst" : ".jsonl";
    // "x": never overwrite a file (a restart within the same millisecond takes the next seq).
    for (int attempt = 0; attempt < 1000; ++attempt, ++seq_) {
        path_ = opts_.dir / fmt::format("{}-{}-{:06}{}", opts_.prefix, utc_stamp(now), seq_, ext);
        file_ = std::fopen(path_.c_str(), "wbx");
        if (file_ != nullptr || errno != EEXIST) {
            break;
        }
    }
    if (file_ == nullptr) {
        error =
            fmt::format("cannot create recording '{}': {}", path_.string(), std::strerror(errno));
        path_.clear();
        stats_.errors.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    stats_.files_opened.fetch_add(1, std::memory_order_relaxed);
    core::log_event(spdlog::level::info, {{"event", "record_file"}, {"file", path_.string()}},
                    "Recording to {}", path_.string());
    file_bytes_ = 0;
    opened_ = now;
    flushed_ = now;
    broken_ = false;
    header_.opened = now;
    header_.file_seq = seq_++;
    line_.clear();
    append_header_line(line_, header_);
    stats_.input_bytes.fetch_add(line_.size(), std::memory_order_relaxed);
    // The header is a frame of its own: a file is readable as soon as it exists.
    if (!put(line_, true)) {
        return false;
    }
    enforce_retention();
    return true;
}

void recording_writer::fail(std::string_view what, int err) {
    stats_.errors.fetch_add(1, std::memory_order_relaxed);
    core::log_limited_event(spdlog::level::err, "record.io",
                            {{"event", "record_error"}, {"file", path_.string()}},
                            "Recording {} failed: {}: {}; records are dropped until a new file "
                            "opens",
                            path_.string(), what, std::strerror(err));
    if (file_ != nullptr) {
        std::fclose(file_);
        file_ = nullptr;
    }
    if (z_) {
        ZSTD_CCtx_reset(z_->cctx, ZSTD_reset_session_only);
    }
    path_.clear();
    broken_ = true;
}

bool recording_writer::put(std::string_view bytes, bool end_frame) {
    if (file_ == nullptr) {
        return false;
    }
    std::size_t produced = 0;
    if (!z_) {
        if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
            fail("write", errno);
            return false;
        }
        produced = bytes.size();
    } else {
        ZSTD_inBuffer in{bytes.data(), bytes.size(), 0};
        const auto mode = end_frame ? ZSTD_e_end : ZSTD_e_continue;
        for (;;) {
            ZSTD_outBuffer out{z_->out.data(), z_->out.size(), 0};
            const auto left = ZSTD_compressStream2(z_->cctx, &out, &in, mode);
            if (ZSTD_isError(left) != 0U) {
                fail(ZSTD_getErrorName(left), EIO);
                return false;
            }
            if (out.pos > 0 && std::fwrite(z_->out.data(), 1, out.pos, file_) != out.pos) {
                fail("write", errno);
                return false;
            }
            produced += out.pos;
            if (end_frame ? left == 0 : in.pos == in.size) {
                break;
            }
        }
    }
    if (end_frame && std::fflush(file_) != 0) {
        fail("write", errno);
        return false;
    }
    file_bytes_ += produced;
    stats_.bytes_written.fetch_add(produced, std::memory_order_relaxed);
    dirty_ = !end_frame;
    return true;
}

void recording_writer::write(record_kind k, std::uint32_t conn, unix_nanos t,
                             std::string_view payload) {
    line_.clear();
    append_record_line(line_, k, conn, t, payload);
    if (!put_line()) {
        return;
    }
    if (k == record_kind::in) {
        stats_.frames_in.fetch_add(1, std::memory_order_relaxed);
    } else if (k == record_kind::out) {
        stats_.frames_out.fetch_add(1, std::memory_order_relaxed);
    }
}

void recording_writer::write_lost(unix_nanos t, std::uint64_t n) {
    line_.clear();
    append_lost_line(line_, t, n);
    (void)put_line();
}

bool recording_writer::put_line() {
    const auto now = clock_.now();
    if (file_ != nullptr &&
        (file_bytes_ >= opts_.max_file_bytes || now - opened_ >= opts_.max_file_age)) {
        std::string line = std::move(line_); // rotate() writes the next file's header in line_
        rotate();
        line_ = std::move(line);
    }
    if (file_ == nullptr || !put(line_, false)) {
        stats_.dropped_no_file.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    stats_.records.fetch_add(1, std::memory_order_relaxed);
    stats_.input_bytes.fetch_add(line_.size(), std::memory_order_relaxed);
    return true;
}

void recording_writer::tick() {
    const auto now = clock_.now();
    if (file_ == nullptr) {
        if (broken_ && now - flushed_ >= std::chrono::seconds{1}) {
            flushed_ = now; // one attempt a second
            std::string error;
            if (!open_next(error)) {
                core::log_limited(spdlog::level::err, "record.open", "{}", error);
            }
        }
        return;
    }
    if (now - opened_ >= opts_.max_file_age) {
        rotate();
    } else if (dirty_ && now - flushed_ >= opts_.flush_interval) {
        flush();
    }
}

void recording_writer::flush() {
    flushed_ = clock_.now();
    if (file_ != nullptr && dirty_) {
        (void)put({}, true);
    }
}

void recording_writer::close() {
    if (file_ == nullptr) {
        return;
    }
    flush();
    if (file_ != nullptr) {
        (void)::fdatasync(::fileno(file_));
        if (std::fclose(file_) != 0) {
            stats_.errors.fetch_add(1, std::memory_order_relaxed);
        }
        file_ = nullptr;
    }
}

void recording_writer::rotate() {
    close();
    std::string error;
    if (!open_next(error)) {
        broken_ = true;
        core::log_limited(spdlog::level::err, "record.open", "{}", error);
    }
}

void recording_writer::enforce_retention() {
    if (opts_.max_total_bytes == 0 && opts_.keep_files == 0) {
        return;
    }
    struct entry {
        fs::path path;
        std::uint64_t size;
    };
    std::vector<entry> files;
    std::error_code ec;
    const auto lead = opts_.prefix + "-";
    for (const auto& e : fs::directory_iterator(opts_.dir, ec)) {
        const auto name = e.path().filename().string();
        std::error_code size_ec;
        if (!name.starts_with(lead) ||
            !(name.ends_with(".jsonl.zst") || name.ends_with(".jsonl")) ||
            !e.is_regular_file(size_ec)) {
            continue;
        }
        const auto size = e.file_size(size_ec);
        files.push_back({e.path(), size_ec ? 0 : size});
    }
    if (ec) {
        stats_.errors.fetch_add(1, std::memory_order_relaxed);
        return;
    }
    // Names sort by time: oldest first.
    std::sort(files.begin(), files.end(),
              [](const entry& a, const entry& b) { return a.path.filename() < b.path.filename(); });
    std::uint64_t total = 0;
    for (const auto& f : files) {
        total += f.size;
    }
    std::size_t count = files.size();
    for (const auto& f : files) {
        const bool over_bytes = opts_.max_total_bytes != 0 && total > opts_.max_total_bytes;
        const bool over_count = opts_.keep_files != 0 && count > opts_.keep_files;
        if (!over_bytes && !over_count) {
            break;
        }
        if (f.path == path_) {
            continue; // never the file being written
        }
        std::error_code rm_ec;
        if (fs::remove(f.path, rm_ec)) {
            total -= f.size;
            --count;
            stats_.files_deleted.fetch_add(1, std::memory_order_relaxed);
            core::log_event(spdlog::level::info,
                            {{"event", "record_file_deleted"}, {"file", f.path.string()}},
                            "Recording {} deleted (retention)", f.path.string());
        } else {
            stats_.errors.fetch_add(1, std::memory_order_relaxed);
        }
    }
}

} // namespace mdg::record

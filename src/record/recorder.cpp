#include "record/recorder.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace mdg::record {

namespace {

// A record in the ring: this header, then the payload, padded to 8 bytes. A length of
// wrap_marker, or an end of the ring too short for a header, means "the rest of the ring is
// empty: continue at position 0".
struct slot_header {
    std::uint32_t len;
    std::uint32_t conn;
    std::int64_t t;
    std::uint32_t lost; // records dropped just before this one
    record_kind kind;
};
static_assert(offsetof(slot_header, len) == 0);
constexpr std::uint32_t wrap_marker = 0xFFFFFFFFU;
constexpr std::size_t align8(std::size_t n) noexcept {
    return (n + 7U) & ~std::size_t{7};
}
constexpr std::size_t header_bytes = align8(sizeof(slot_header));

// How often the idle writer looks for records and for its flush and rotation deadlines.
constexpr auto writer_poll = std::chrono::milliseconds{20};
// A drain of this many records means the writer is behind: it goes on without sleeping.
constexpr std::size_t busy_batch = 256;

} // namespace

recorder::recorder(recorder_options opts, recording_header header, const core::clock& clock)
    : writer_(std::move(opts.writer), std::move(header), stats_, clock), writer_clock_(clock),
      capacity_(std::max<std::size_t>(align8(opts.queue_bytes), 4096)),
      ring_(std::make_unique<std::byte[]>(capacity_)) {} // NOLINT(*-avoid-c-arrays)

recorder::~recorder() {
    stop();
}

bool recorder::open(std::string& error) {
    return writer_.open(error);
}

void recorder::start() {
    thread_ = std::jthread([this](const std::stop_token& st) { run(st); });
}

void recorder::stop() {
    if (stopped_) {
        return;
    }
    stopped_ = true;
    if (thread_.joinable()) {
        thread_.request_stop();
        thread_.join();
    } else {
        (void)drain(); // never started (tests): write what was queued
    }
    // Drops after the last record queued (the producer has stopped: its count is stable).
    if (lost_ > 0) {
        writer_.write_lost(writer_clock_.now(), lost_);
        lost_ = 0;
    }
    writer_.close();
}

bool recorder::record(record_kind k, std::uint32_t conn, unix_nanos t,
                      std::string_view payload) noexcept {
    const std::size_t need = header_bytes + align8(payload.size());
    const auto head = head_.load(std::memory_order_relaxed);
    // Acquire: the writer's reads of the space it released happened before we overwrite it.
    const auto tail = tail_.load(std::memory_order_acquire);
    const std::size_t pos = head % capacity_;
    const std::size_t to_end = capacity_ - pos;
    const std::size_t total = need <= to_end ? need : to_end + need; // wrap: skip the end
    if (payload.size() > UINT32_MAX - 1 || total > capacity_ - (head - tail)) {
        stats_.dropped_queue_full.fetch_add(1, std::memory_order_relaxed);
        ++lost_;
        return false;
    }
    std::size_t at = pos;
    if (need > to_end) {
        // The rest of the ring is skipped. Only its length field is written: the rest may be
        // shorter than a header (the reader skips an end shorter than a header anyway).
        if (to_end >= header_bytes) {
            std::memcpy(ring_.get() + pos, &wrap_marker, sizeof wrap_marker);
        }
        at = 0;
    }
    const auto lost = static_cast<std::uint32_t>(std::min<std::uint64_t>(lost_, UINT32_MAX));
    lost_ -= lost;
    const slot_header h{static_cast<std::uint32_t>(payload.size()), conn, t.value, lost, k};
    std::memcpy(ring_.get() + at, &h, sizeof h);
    if (!payload.empty()) {
        std::memcpy(ring_.get() + at + header_bytes, payload.data(), payload.size());
    }
    // Release: the record's bytes are visible to the writer before the new head.
    head_.store(head + total, std::memory_order_release);
    stats_.queue_bytes.store(head + total - tail, std::memory_order_relaxed);
    return true;
}

std::size_t recorder::drain() {
    auto tail = tail_.load(std::memory_order_relaxed);
    // Acquire: pairs with the producer's release of head_.
    const auto head = head_.load(std::memory_order_acquire);
    std::size_t n = 0;
    while (tail < head) {
        const std::size_t pos = tail % capacity_;
        bool wrapped = capacity_ - pos < header_bytes;
        if (!wrapped) {
            std::uint32_t len = 0;
            std::memcpy(&len, ring_.get() + pos, sizeof len); // slot_header::len comes first
            wrapped = len == wrap_marker;
        }
        if (wrapped) {
            tail += capacity_ - pos; // the producer went on at position 0
            continue;
        }
        slot_header h{};
        std::memcpy(&h, ring_.get() + pos, sizeof h);
        if (h.lost > 0) {
            writer_.write_lost(unix_nanos{h.t}, h.lost);
        }
        const std::string_view payload{
            reinterpret_cast<const char*>(ring_.get() + pos + header_bytes), h.len};
        writer_.write(h.kind, h.conn, unix_nanos{h.t}, payload);
        tail += header_bytes + align8(h.len);
        ++n;
        // Release: our reads of the record happened before the producer may reuse its space.
        tail_.store(tail, std::memory_order_release);
    }
    tail_.store(tail, std::memory_order_release);
    stats_.queue_bytes.store(head - tail, std::memory_order_relaxed);
    return n;
}

void recorder::run(const std::stop_token& st) {
    while (!st.stop_requested()) {
        const auto n = drain();
        writer_.tick();
        if (n >= busy_batch) {
            continue; // behind: no sleep until the queue is short again
        }
        std::unique_lock lock(wake_mutex_);
        (void)wake_.wait_for(lock, st, writer_poll, [] { return false; });
    }
    (void)drain();
}

} // namespace mdg::record

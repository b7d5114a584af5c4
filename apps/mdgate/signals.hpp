#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

namespace mdg::app {

// SIGHUP (a closed terminal, `kill -HUP`, a reload request) would end the process without a
// clean shutdown. mdgate has no configuration reload yet, so `run`, `sim` and `demo` ignore it
// and say so once (docs/configuration.md "Signals").

/// Logs, once per process, at warn that a SIGHUP was received and ignored. Thread-safe.
void note_sighup_ignored();

/// Takes SIGHUP on `ioc` for as long as it lives: each one is ignored (note_sighup_ignored).
class sighup_ignorer {
  public:
    explicit sighup_ignorer(boost::asio::io_context& ioc);

  private:
    void arm();
    boost::asio::signal_set set_;
};

} // namespace mdg::app

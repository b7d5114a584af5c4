#pragma once

namespace mdg::app {

// "0.1.0+<git describe>", fixed when the build is configured (cmake --preset ...; a plain
// rebuild keeps the old describe). It lives in one generated file (version.cpp.in), so that a
// new version recompiles that file, not every file of the binary.
const char* version() noexcept;

} // namespace mdg::app

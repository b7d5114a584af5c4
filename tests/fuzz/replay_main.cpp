// Runs a fuzz target's LLVMFuzzerTestOneInput over files, without libFuzzer: the g++ builds
// (and ctest) replay each target's seed corpus and regression inputs through it, so every
// `make test` (ASan included) runs every fuzz target briefly. Arguments are files or
// directories (read recursively; names starting with '.' are skipped). Exit code 1 when an
// argument does not exist or no input was found; a crash or sanitizer report ends the process.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

bool run_file(const fs::path& p) {
    std::ifstream in{p, std::ios::binary};
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", p.c_str());
        return false;
    }
    const std::vector<char> bytes{std::istreambuf_iterator<char>{in},
                                  std::istreambuf_iterator<char>{}};
    // A copy of exactly the input's size, as libFuzzer gives it: ASan sees a read past the end.
    std::vector<std::uint8_t> data(bytes.size());
    std::copy(bytes.begin(), bytes.end(), data.begin());
    LLVMFuzzerTestOneInput(data.data(), data.size());
    return true;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i) {
        const fs::path arg{argv[i]};
        if (fs::is_regular_file(arg)) {
            files.push_back(arg);
        } else if (fs::is_directory(arg)) {
            for (const auto& e : fs::recursive_directory_iterator{arg}) {
                if (e.is_regular_file() && !e.path().filename().string().starts_with(".")) {
                    files.push_back(e.path());
                }
            }
        } else {
            std::fprintf(stderr, "no such file or directory: %s\n", argv[i]);
            return 1;
        }
    }
    std::sort(files.begin(), files.end());
    std::size_t ran = 0;
    for (const auto& f : files) {
        if (!run_file(f)) {
            return 1;
        }
        ++ran;
    }
    std::printf("ran %zu inputs\n", ran);
    return ran == 0 ? 1 : 0;
}

# The two commands of the README: `make demo` and `make test`. Both install what is missing
# (scripts/setup.sh, Debian packages), configure, build and run.
PRESET ?= release
JOBS ?= $(shell nproc)
BUILD := build/$(PRESET)

.PHONY: all setup configure build demo test asan tsan bench fuzz fuzz-run format format-check tidy clean package package-test

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/build.ninja: | setup
	@cmake --preset $(PRESET) >/dev/null

configure: setup $(BUILD)/build.ninja

build: configure
	@cmake --build --preset $(PRESET) -j $(JOBS)

# The demo needs only the mdgate binary: it does not wait for the test suite to compile.
demo: configure
	@cmake --build --preset $(PRESET) -j $(JOBS) --target mdgate
	@$(BUILD)/apps/mdgate/mdgate demo --report $(BUILD)/demo-report.md

test: build
	@ctest --preset $(PRESET) -j $(JOBS)

# The Debian package (packaging/README.md): build/$(PRESET)/mdgate_<version>_<arch>.deb and
# mdgate-dbgsym_<version>_<arch>.ddeb. Builds only the mdgate binary.
package: configure
	@cmake --build --preset $(PRESET) --target mdgate -j $(JOBS)
	@cd $(BUILD) && cpack -G DEB

# Builds the package and installs it with apt into a Debian 12 minbase root (debootstrap, made
# once in $(BUILD)/package-test), then runs mdgate and the unit's ExecStart from it. Needs root
# and a Debian mirror; not part of `make test` (tests/packaging/package_test.sh).
package-test: configure
	@cmake --build --preset $(PRESET) --target mdgate -j $(JOBS)
	@MDG_PACKAGE_TEST=1 ctest --preset $(PRESET) -L '^package$$'

asan:
	@$(MAKE) --no-print-directory test PRESET=asan

# ThreadSanitizer over the tests that run threads and sockets (integration and dispatch labels);
# builds only their binaries (target mdg_thread_tests), not the whole tree.
tsan: setup
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j $(JOBS) --target mdg_thread_tests
	@ctest --preset tsan -j $(JOBS) -L '^(integration|dispatch)$$' -E '^(cli|js|observability|report)\.'

# The libFuzzer targets of tests/fuzz (clang, ASan + UBSan) in build/fuzz; only those targets.
fuzz: setup
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)

# Runs each fuzz target for FUZZ_SECONDS, one at a time, with its dictionary, on a corpus kept in
# build/fuzz/corpus (scripts/fuzz_campaign.sh); fails on any crash. FUZZ_TARGETS picks some.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz-run: fuzz
	@bash scripts/fuzz_campaign.sh -s $(FUZZ_SECONDS) $(FUZZ_TARGETS)

bench: build
	@$(BUILD)/bench/mdg_bench

format:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

format-check:
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run --Werror

tidy:
	@cmake --preset tidy >/dev/null && cmake --build --preset tidy -j $(JOBS)

clean:
	@rm -rf build

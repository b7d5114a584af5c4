# The two commands of the README: `make demo` and `make test`. Both install what is missing
# (scripts/setup.sh, Debian packages), configure, build and run.
PRESET ?= release
JOBS ?= $(shell nproc)
BUILD := build/$(PRESET)

.PHONY: all setup configure build demo test asan tsan bench format format-check tidy clean

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

asan:
	@$(MAKE) --no-print-directory test PRESET=asan

# ThreadSanitizer over the tests that run threads and sockets (integration label).
tsan: setup
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j $(JOBS)
	@ctest --preset tsan -j $(JOBS) -L '^(integration|dispatch)$$' -E '^(cli|js|observability|report)\.'

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

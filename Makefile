# The two commands of the README:
#   make demo   installs what is missing, builds, and runs the bundled example end to end
#   make test   installs what is missing, builds, and runs every test (also under sanitizers,
#               and each fuzz target for a short time)
# Everything else here is a convenience for developers.

JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-sanitizers test-fast test-asan test-tsan test-fuzz fuzz-build fuzz bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	cmake -S . -B build -G Ninja $(CMAKE_FLAGS) >/dev/null
	cmake --build build -j $(JOBS)

demo: build
	scripts/demo.sh build/cli/bukong

# `make test` (and so CI) runs the normal build's whole suite. The sanitizer and fuzz runs
# are separate targets (`make test-sanitizers` runs all three): every test again against a
# build made with AddressSanitizer + UndefinedBehaviorSanitizer (the CLI and service tests
# run that build's `bukong`); the tests with threads (label tsan) against a ThreadSanitizer
# build; each libFuzzer target for FUZZ_TEST_SECONDS. They are not in `make test` because
# they do not fit its 30-minute budget on two cores: the ASan/UBSan tree alone costs about
# 31 CPU-minutes to build even at -O1 -g1 (docs/reliability.md, "Every test under the
# sanitizers", has the measurements and the plan). The sanitizer trees are built at -O1 -g1
# (SAN_BUILD_FLAGS): about a quarter less compile time than RelWithDebInfo's -O2 -g, still
# line numbers in every report.
test: test-fast

test-sanitizers: test-asan test-tsan test-fuzz

test-fast: build
	ctest --test-dir build --output-on-failure -j $(JOBS)

SAN_BUILD_FLAGS = -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" \
  "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -g1" -DBUKONG_BENCH=OFF

test-asan: deps
	cmake -S . -B build-asan -G Ninja -DBUKONG_SANITIZE=address,undefined $(SAN_BUILD_FLAGS) >/dev/null
	cmake --build build-asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir build-asan --output-on-failure -j $(JOBS)

# RocksDB is not instrumented: tests/tsan.supp says which reports from inside it are
# suppressed and why.
test-tsan: deps
	cmake -S . -B build-tsan -G Ninja -DBUKONG_SANITIZE=thread $(SAN_BUILD_FLAGS) >/dev/null
	cmake --build build-tsan -j $(JOBS) --target tests_tsan
	TSAN_OPTIONS=suppressions=$(CURDIR)/tests/tsan.supp \
	  ctest --test-dir build-tsan --output-on-failure -j $(JOBS) -L tsan

# libFuzzer (clang): one target per reader of outside bytes (fuzz/CMakeLists.txt), each with
# its seed corpus in fuzz/corpus/<name>/. New inputs go to build-fuzz/fuzz/work-<name>/; a
# crash is written to build-fuzz/fuzz/crash-*.
#   make test-fuzz          each target FUZZ_TEST_SECONDS (15), two at a time (part of `make test`)
#   make fuzz               each target FUZZ_SECONDS (60), one after the other
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS="declaration audit"   a longer run of some
FUZZ_TEST_SECONDS ?= 15
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= compile declaration profile_csv profile_jsonl outcome audit decision lists
fuzz-build: deps
	CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DBUKONG_FUZZ=ON -DBUKONG_BENCH=OFF \
	  -DBUKONG_FUZZ_TEST_SECONDS=$(FUZZ_TEST_SECONDS) >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target tests_fuzz

test-fuzz: fuzz-build
	ctest --test-dir build-fuzz --output-on-failure -j $(JOBS) -L fuzz

fuzz: fuzz-build
	set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/fuzz/work-$$t; \
	  echo "== fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  build-fuzz/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=20 \
	    -print_final_stats=1 -artifact_prefix=build-fuzz/fuzz/ \
	    build-fuzz/fuzz/work-$$t fuzz/corpus/$$t; \
	done

bench: build
	@ls build/bench/*/bench_* 2>/dev/null || true

clean:
	rm -rf build build-asan build-tsan build-fuzz

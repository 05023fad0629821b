# The two commands of the README:
#   make demo   installs what is missing, builds, and runs the bundled example end to end
#   make test   installs what is missing, builds, and runs every test (also under sanitizers)
# Everything else here is a convenience for developers.

JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=

.PHONY: all deps build demo test test-fast test-asan test-tsan test-tsan-cli fuzz bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	cmake -S . -B build -G Ninja $(CMAKE_FLAGS) >/dev/null
	cmake --build build -j $(JOBS)

demo: build
	scripts/demo.sh build/cli/bukong

# The full suite: the normal build's tests, the dsl tests under AddressSanitizer and
# UndefinedBehaviorSanitizer, and the concurrency tests under ThreadSanitizer.
test: test-fast test-asan test-tsan

test-fast: build
	ctest --test-dir build --output-on-failure -j $(JOBS)

test-asan: deps
	cmake -S . -B build-asan -G Ninja -DBUKONG_SANITIZE=address,undefined -DBUKONG_BENCH=OFF >/dev/null
	cmake --build build-asan -j $(JOBS) --target tests_asan
	ASAN_OPTIONS=detect_leaks=1 ctest --test-dir build-asan --output-on-failure -j $(JOBS) -L asan

test-tsan: deps
	cmake -S . -B build-tsan -G Ninja -DBUKONG_SANITIZE=thread -DBUKONG_BENCH=OFF >/dev/null
	cmake --build build-tsan -j $(JOBS) --target tests_tsan
	ctest --test-dir build-tsan --output-on-failure -j $(JOBS) -L tsan

# The CLI's end-to-end tests (decide's pipeline, replay's and what-if's threads) against a
# ThreadSanitizer build of `bukong`. Not part of `make test`: building the whole program with
# TSan adds several minutes on 2 cores. RocksDB is not instrumented: see tests/tsan.supp.
test-tsan-cli: deps
	cmake -S . -B build-tsan -G Ninja -DBUKONG_SANITIZE=thread -DBUKONG_BENCH=OFF >/dev/null
	cmake --build build-tsan -j $(JOBS) --target bukong cli_test
	TSAN_OPTIONS=suppressions=$(CURDIR)/tests/tsan.supp \
	  ctest --test-dir build-tsan --output-on-failure -R '^cli_test$$'

# 60 seconds of libFuzzer over parse + check (clang), from the seed corpus in fuzz/corpus.
FUZZ_SECONDS ?= 60
fuzz: deps
	CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DBUKONG_FUZZ=ON -DBUKONG_BENCH=OFF >/dev/null
	cmake --build build-fuzz -j $(JOBS) --target fuzz_compile
	mkdir -p fuzz-corpus-work
	build-fuzz/fuzz/fuzz_compile -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	  -rss_limit_mb=2048 fuzz-corpus-work fuzz/corpus

bench: build
	@ls build/bench/*/bench_* 2>/dev/null || true

clean:
	rm -rf build build-asan build-tsan build-fuzz

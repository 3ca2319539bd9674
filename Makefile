# Entry points for people and CI. Everything else is CMake.
#   make demo   install what is missing, build, run the main commands on a capture we make
#   make test   install what is missing, build, run every test (unit, corpus, differential, sanitizers)
#   make bench  build Release and run the benchmarks (Google Benchmark + end-to-end script)

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_GEN  := -G Ninja

# Debian packages the build, the tests and the oracles need.
DEPS := g++ cmake ninja-build pkg-config python3 \
        libcli11-dev libfmt-dev zlib1g-dev libzstd-dev libssl-dev nlohmann-json3-dev \
        libgtest-dev libgmock-dev libbenchmark-dev \
        tshark tcpdump tcpflow zstd gzip hyperfine time \
        clang libclang-rt-14-dev \
        libtomlplusplus-dev libpsl-dev publicsuffix libmaxminddb-dev libsqlite3-dev sqlite3 libpcap-dev \
        libmaxmind-db-writer-perl libpcre2-dev libseccomp-dev strace

# Extra Debian packages only `make bench` needs (Scapy is one of its peers).
BENCH_DEPS := python3-scapy

.PHONY: all deps bench-deps build asan demo test test-unit test-asan bench clean fuzz-build fuzz test-fuzz

all: build

# Installs the Debian packages of $(1) that are missing (apt-get, as root or through sudo).
define install_missing
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "make $@: installing missing Debian packages:" $$missing; \
	  SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  echo "wireshark-common wireshark-common/install-setuid boolean false" | $$SUDO debconf-set-selections; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
endef

deps:
	$(call install_missing,$(DEPS))

build: deps
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BUILD) -j $(JOBS)

asan: deps
	cmake -S . -B $(ASAN_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPCAPSCOPE_SANITIZE=ON -DPCAPSCOPE_BENCH=OFF
	cmake --build $(ASAN_BUILD) -j $(JOBS)

demo: build
	tools/demo.sh $(BUILD)

test-unit: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The sanitizer build runs every test too: unit, corpus, differential, command-line and hostile captures.
test-asan: asan
	ctest --test-dir $(ASAN_BUILD) --output-on-failure -j $(JOBS)

test: test-unit test-asan test-fuzz

# libFuzzer targets for the protocol parsers (tests/fuzz), built with clang in
# their own directory; seeds are cut from ../shared/corpus into
# $(FUZZ_BUILD)/seeds by pcapscope-make-seeds of the normal build. Crashes and
# hangs land in $(FUZZ_BUILD)/artifacts/<target>/ and fail the make.
#   make fuzz        long run: FUZZ_SECONDS per target (FUZZ_RUNS=N: or until N executions;
#                    FUZZ_TARGETS="dns decode": only those)
#   make test-fuzz   bounded run (part of make test): FUZZ_CI_SECONDS per target, two at once
FUZZ_BUILD      ?= build-fuzz
FUZZ_SECONDS    ?= 600
FUZZ_CI_SECONDS ?= 45
FUZZ_JOBS       ?= 2
FUZZ_RUNS       ?=
FUZZ_TARGETS    ?= dns http tls ssh filter capture decode sessions config

fuzz-build: deps
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DPCAPSCOPE_FUZZ=ON -DPCAPSCOPE_TESTS=OFF -DPCAPSCOPE_BENCH=OFF
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target dns_fuzzer http_fuzzer tls_fuzzer ssh_fuzzer filter_fuzzer \
	  capture_fuzzer decode_fuzzer sessions_fuzzer config_fuzzer

fuzz: build fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD) $(BUILD)/tests/fuzz/pcapscope-make-seeds $(FUZZ_SECONDS) $(FUZZ_JOBS) "$(FUZZ_RUNS)" "$(FUZZ_TARGETS)"

test-fuzz: build fuzz-build
	tests/fuzz/run.sh $(FUZZ_BUILD) $(BUILD)/tests/fuzz/pcapscope-make-seeds $(FUZZ_CI_SECONDS) $(FUZZ_JOBS)

bench-deps:
	$(call install_missing,$(BENCH_DEPS))

# make bench BENCH_QUICK=1   a fast try (2 copies, small slices, results under $(BUILD)/bench-data)
# make bench COPIES=N        the large capture is N copies of the corpus (default 8)
bench: build bench-deps
	BENCH_QUICK=$(BENCH_QUICK) bench/run.sh $(BUILD) $(COPIES)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

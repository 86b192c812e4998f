# The front door. `make test` and `make demo` work on a fresh Debian machine as root: they
# install what is missing first. Everything else is plain CMake (see README.md).
.PHONY: all build test demo bench bench-bridge model fuzz clean

BUILD ?= build

all: build

build:
	./scripts/install-deps
	cmake -S . -B $(BUILD)/linux -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD)/linux -j$$(nproc)

test:
	./scripts/run-tests

# The protocol models (core/*.pml, channel/*.pml), checked exhaustively with spin: under two
# minutes here; MODEL_FLAGS=--deep for larger bounds. docs/design.md, "The protocol model".
model:
	./scripts/install-deps
	./scripts/run-model $(MODEL_FLAGS)

# The file-find demo on the project's own source tree: a client starts a server that walks
# the tree and streams one find record per file back over a memchan ring channel.
DEMO_ROOT ?= $(CURDIR)
demo:
	./scripts/install-deps
	cmake -S . -B $(BUILD)/linux -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD)/linux -j$$(nproc) --target filefind filefind-server
	$(BUILD)/linux/examples/filefind/filefind --exclude build --exclude .git "$(DEMO_ROOT)"

# The quick benchmark profile (under a minute on 2 cores): table on stdout, records in
# $(BUILD)/bench/bench.csv and .json (scripts/plot-bench turns the CSV into plots).
bench:
	./scripts/install-deps --bench
	cmake -S . -B $(BUILD)/linux -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD)/linux -j$$(nproc) --target memchan-bench
	mkdir -p $(BUILD)/bench
	$(BUILD)/linux/tools/memchan-bench --quick --csv $(BUILD)/bench/bench.csv \
	  --json $(BUILD)/bench/bench.json >$(BUILD)/bench/bench.txt; \
	  rc=$$?; cat $(BUILD)/bench/bench.txt; exit $$rc

# The bridge over a veth link between two network namespaces against nng push/pull alone
# (tools/bridge/bench.sh, docs/bridge.md); needs root. BRIDGE_ROUNDS interleaved rounds.
BRIDGE_ROUNDS ?= 5
bench-bridge:
	./scripts/install-deps
	cmake -S . -B $(BUILD)/linux -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD)/linux -j$$(nproc) --target memchan-bridge memchan-bridge-peer
	sh tools/bridge/bench.sh $(BUILD)/linux $(BRIDGE_ROUNDS)

# The libFuzzer targets (tests/fuzz/README.md), each for FUZZ_SECONDS, one after the other;
# clang with ASan + UBSan, built in $(BUILD)/fuzz; what they find goes to $(BUILD)/fuzz/findings.
FUZZ_SECONDS ?= 300
fuzz:
	./scripts/install-deps
	MEMCHAN_BUILD_DIR=$(abspath $(BUILD)) ./scripts/run-fuzz $(FUZZ_SECONDS)

clean:
	rm -rf $(BUILD)

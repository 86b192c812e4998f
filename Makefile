# The front door. `make test` and `make demo` work on a fresh Debian machine as root: they
# install what is missing first. Everything else is plain CMake (see README.md).
.PHONY: all build test clean

BUILD ?= build

all: build

build:
	./scripts/install-deps
	cmake -S . -B $(BUILD)/linux -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD)/linux -j$$(nproc)

test:
	./scripts/run-tests

clean:
	rm -rf $(BUILD)

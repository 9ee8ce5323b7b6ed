# smartredis-rs — build, test, demo and benchmark entry points.
# `make demo` and `make test` are the README's two commands; both install missing system packages first.

CARGO   ?= cargo
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: all deps build lint test ctest header demo bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(CARGO) build --release --workspace --all-targets

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --workspace --all-targets -- -D warnings

test: build lint
	$(CARGO) test --release --workspace
	$(MAKE) --no-print-directory ctest

# C (later C++ and Fortran) test programs, built by CMake against target/release/libsmartredis.so, run by ctest.
ctest: build
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
	cmake --build build -j2
	ctest --test-dir build --output-on-failure

# Regenerate include/smartredis.h after changing the C ABI (tests/header.rs fails while it is stale).
header: deps
	scripts/gen-header.sh

demo: build
	scripts/demo.sh

bench: build

clean:
	$(CARGO) clean
	rm -rf build

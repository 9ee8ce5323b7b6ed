# smartredis-rs — build, test, demo and benchmark entry points.
# `make demo` and `make test` are the README's two commands; both install missing system packages first.

CARGO   ?= cargo
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: all deps build lint test ctest install header demo bench clean

# Where `make install` puts the library, headers, Fortran modules and CMake/pkg-config files.
PREFIX ?= $(CURDIR)/install

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

# C, C++ and Fortran test programs and examples, built by CMake against target/release/libsmartredis.so, run by ctest.
ctest: build
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
	cmake --build build -j2
	ctest --test-dir build --output-on-failure

# Installs lib/libsmartredis{,-fortran}.{so,a}, include/ (headers, enum_fortran.inc, .mod files),
# lib/cmake/smartredis{,-fortran}/ and lib/pkgconfig/ under $(PREFIX).
install: build
	cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
	cmake --build build -j2 --target smartredis-fortran smartredis-fortran-static
	cmake --install build --prefix $(PREFIX)

# Regenerate include/smartredis.h after changing the C ABI (tests/header.rs fails while it is stale).
header: deps
	scripts/gen-header.sh

demo: build
	scripts/demo.sh

bench: build

clean:
	$(CARGO) clean
	rm -rf build install

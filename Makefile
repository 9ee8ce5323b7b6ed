# smartredis-rs — build, test, demo and benchmark entry points.
# `make demo` and `make test` are the README's two commands; both install missing system packages first.

CARGO   ?= cargo
export PATH := $(HOME)/.cargo/bin:$(PATH)

.PHONY: all deps build lint test slurm slurm-stop ctest check-memory fuzz install header bindings demo bench bench-client bench-module bench-models bench-tf bench-tflite bench-orchestrator bench-slurm bench-datasets clean

# Where `make install` puts the program, the module, the libraries, headers, Fortran modules and CMake/pkg-config files.
PREFIX ?= $(CURDIR)/install

# The one version number (Cargo.toml, [workspace.package]) and the C ABI version in the SONAME derived from it
# (the major version, or 0.<minor> while it is 0; build.rs and cmake/SmartRedisVersion.cmake agree).
VERSION   := $(shell sed -n '/^\[workspace\.package\]/,/^\[/s/^version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml)
SOVERSION := $(shell echo $(VERSION) | awk -F. '{ print ($$1 == 0) ? "0." $$2 : $$1 }')
# CMake runs cargo itself; from make, with the same arguments as `make build`, so that it finds nothing to do.
CMAKE_ARGS = -DCMAKE_BUILD_TYPE=Release "-DSMARTREDIS_CARGO_ARGS=--workspace;--all-targets"

all: build

deps:
	@scripts/install-deps.sh

build: deps
	$(CARGO) build --release --workspace --all-targets
	@# The library's SONAME is libsmartredis.so.$(SOVERSION) (build.rs): programs linked against target/release
	@# find it by that name.
	ln -sf libsmartredis.so target/release/libsmartredis.so.$(SOVERSION)
	@# The module's default BACKENDSPATH is <its directory>/backends: the backends fetched by `make deps`.
	ln -sfn ../../build/backends target/release/backends

lint: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --release --workspace --all-targets -- -D warnings

test: build lint slurm
	$(CARGO) test --release --workspace
	$(MAKE) --no-print-directory demo
	$(MAKE) --no-print-directory ctest

# The local Slurm (3 emulated nodes) the Slurm launcher tests run against; needs root (else those tests are skipped,
# loudly). `make slurm-stop` stops it.
slurm:
	scripts/slurm/test-slurm.sh

slurm-stop:
	scripts/slurm/test-slurm.sh stop

# C, C++ and Fortran test programs and examples, built by CMake against target/release/libsmartredis.so, run by ctest.
ctest: build
	cmake -S . -B build $(CMAKE_ARGS)
	cmake --build build -j2
	ctest --test-dir build --output-on-failure

# The C, C++ and Fortran test programs (and the Fortran library) rebuilt with -fsanitize=address,undefined in
# build/asan and run by ctest, then every store test program under valgrind (build/valgrind; SR_TEST_WRAPPER).
# Not part of `make test`. The Rust library is not instrumented: ASan sees its heap only through the intercepted
# malloc/free (a C program writing past a buffer the library handed out, a double free across the boundary), not
# its own loads and stores; valgrind covers both sides at run time.
SANITIZE = -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g
CHECK_MEMORY_ARGS = -DCMAKE_BUILD_TYPE=Release -DSMARTREDIS_CARGO_BUILD=OFF
VALGRIND = valgrind;--error-exitcode=99;--leak-check=no;-q
check-memory: build
	cmake -S . -B build/asan $(CHECK_MEMORY_ARGS) "-DCMAKE_C_FLAGS=$(SANITIZE)" "-DCMAKE_CXX_FLAGS=$(SANITIZE)" \
	  "-DCMAKE_Fortran_FLAGS=$(SANITIZE)" "-DCMAKE_EXE_LINKER_FLAGS=$(SANITIZE)" \
	  "-DCMAKE_SHARED_LINKER_FLAGS=$(SANITIZE)"
	cmake --build build/asan -j2
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --test-dir build/asan --output-on-failure -E '\.memcheck$$|generated_up_to_date|consumer'
	cmake -S . -B build/valgrind $(CHECK_MEMORY_ARGS) "-DSR_TEST_WRAPPER=$(VALGRIND)"
	cmake --build build/valgrind -j2
	ctest --test-dir build/valgrind --output-on-failure -E 'generated_up_to_date|consumer'

# Fuzzing, not part of `make test` (scripts/fuzz.sh): each cargo-fuzz target of fuzz/ (RESP replies, module
# command parsers, RDB decoding, SSDB/option parsing, dataset metadata) runs FUZZ_SECONDS from its committed seeds
# (fuzz/seeds/<target>, written by fuzz/make-seeds.py), growing a corpus in build/fuzz/corpus/<target>; a table of
# executions, coverage and findings ends the run (build/fuzz/summary.txt). A crash, timeout or OOM input is saved in
# fuzz/artifacts/<target>/ and fails the target. Needs rustup: the nightly toolchain is installed if missing, and
# cargo-fuzz into build/tools. FUZZ_TARGETS picks targets.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= resp_reply module_commands rdb_decode options dataset_meta
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_TARGETS)

# Installs bin/smartredis, lib/libsmartredis_ai.so (the module), lib/libsmartredis{,-fortran}.{so,a}, include/
# (headers, enum_fortran.inc, .mod files), share/cmake/smartredis{,-fortran}/ and lib/pkgconfig/ under $(PREFIX).
# The same as `cmake -S . -B build && cmake --build build && cmake --install build --prefix P`.
install: build
	cmake -S . -B build $(CMAKE_ARGS)
	cmake --build build -j2 --target smartredis-libraries
	cmake --install build --prefix $(PREFIX)

# Regenerate include/smartredis.h after changing the C ABI (tests/header.rs fails while it is stale), then the
# Fortran interfaces and C++ signature checks derived from it.
header: deps
	scripts/gen-header.sh
	$(MAKE) --no-print-directory bindings

# Regenerate src/fortran/c_interfaces.inc and tests/cpp/c_api_signatures.cpp from include/smartredis.h
# (tests/bindings.rs fails while they are stale).
bindings:
	python3 scripts/gen-bindings.py

# The main demo: a local store started by the launcher, a tensor put, fetched and unpacked by the client.
# DEMO_SHARDS=3 runs it on a Redis Cluster.
DEMO_SHARDS ?= 1
# Runs the example `make build` built: `cargo run --example` alone would resolve features for one package and
# rebuild the library with a different feature set (and every later workspace build would rebuild it back).
demo: build
	target/release/examples/demo $(DEMO_SHARDS)

# Client benchmark: put_tensor/unpack_tensor vs raw SET/GET (redis-benchmark) on one server, client and server
# pinned to one core (the primary placement of reference/perf-baseline.md). BENCH_ARGS: -t secs, -w secs, -q.
CC ?= cc
BENCH_CPU ?= 0
bench-client: build
	mkdir -p build/bench
	$(CC) -O2 -Wall -Wextra -Werror -Iinclude benches/client_bench.c -Ltarget/release -lsmartredis \
	    -Wl,-rpath,$(CURDIR)/target/release -o build/bench/client_bench
	taskset -c $(BENCH_CPU) target/release/smartredis run -- build/bench/client_bench $(BENCH_ARGS)

bench: bench-client bench-module bench-models bench-tf bench-tflite bench-orchestrator bench-slurm bench-datasets

# Formation and stop times of the Slurm launcher: 3, 16 and 64 shards across the 3 emulated nodes of the local Slurm.
bench-slurm: build slurm
	scripts/bench-slurm.sh target/release/smartredis 3 16 64

# AI.TENSORSET/TENSORGET vs SET/GET of the same bytes on one server (module/examples/tensor_bench.rs).
bench-module: build
	$(CARGO) run --release -p smartredis-ai --example tensor_bench

# The client's run_model (and put + run + get) for an ONNX MLP, an ONNX CNN and a TorchScript CNN vs the same
# models run directly through ONNX Runtime / libtorch, latency and 8-client throughput (benches/models.rs).
bench-models: build
	$(CARGO) bench --workspace --bench models

# AI.MODELEXECUTE of the TF CNN (tests/data/tf/cnn.pb) and of the TFLITE CNN (tests/data/mnist_cnn.tflite) vs the
# same models run directly through TensorFlow's / LiteRT's C API, one harness (module/examples/backend_bench.rs).
bench-tf: build
	$(CARGO) run --release -p smartredis-ai --example backend_bench -- tf

bench-tflite: build
	$(CARGO) run --release -p smartredis-ai --example backend_bench -- tflite

# Start-to-ready and stop-to-gone times of the local orchestrator for 1, 3 and 16 shards.
bench-orchestrator: build
	$(CARGO) bench -p smartredis --bench orchestrator

# put_dataset/get_dataset (10 x 1 MiB + 20 fields) and get_datasets_from_list (64 datasets) on 3 shards and one
# server, vs the same commands pipelined by the plain `redis` crate; time ratio and peak heap (benches/datasets.rs).
bench-datasets: build
	$(CARGO) bench -p smartredis --bench datasets

clean:
	$(CARGO) clean
	rm -rf build install

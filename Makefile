# Latent: `make demo` builds and shows the main job, `make test` runs the tests.
# Both install the Debian packages they need when they are missing (as root, or through sudo).

SWIFT ?= swift
APT_PACKAGES := ocl-icd-opencl-dev opencl-headers pocl-opencl-icd clinfo dataset-fashion-mnist libpng-dev zlib1g-dev \
                openmpi-bin libopenmpi-dev

# FMA/AVX2 for the SIMD CPU kernels (without them Swift's addingProduct calls fmaf, ~100x slower).
# Only the release build, the benchmarks and the tests get them; dependents of the library don't.
CPU_FLAGS := $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw fma /proc/cpuinfo 2>/dev/null \
               && echo "-Xswiftc -target-cpu -Xswiftc haswell")
RELEASE := -c release $(CPU_FLAGS)
LATENT := .build/release/latent

.PHONY: deps build demo test examples docs bench clean fuzz fuzz-build fuzz-smoke test-asan test-tsan format lint

# Swift sources in one style (.swift-format, swift-format ships with the toolchain); CI runs `lint`.
FORMATTED := Sources Tests Benchmarks Plugins Examples/Sources Fuzz Package.swift Examples/Package.swift
format:
	$(SWIFT) format format --in-place --recursive $(FORMATTED)
lint:
	$(SWIFT) format lint --strict --recursive $(FORMATTED)

deps:
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing missing Debian packages: $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(SWIFT) build $(RELEASE) --product latent

demo: build
	$(LATENT) demo

# Release mode keeps the parity suite's large cases fast; -enable-testing allows @testable imports.
# The fuzz smoke run (a few seconds per parser, see `fuzz` below) is part of it, so CI keeps it;
# the inputs the fuzzers once crashed on are replayed by FuzzRegressionTests in the suite itself.
test: deps
	$(SWIFT) build $(RELEASE) -Xswiftc -enable-testing --build-tests
	$(SWIFT) test $(RELEASE) -Xswiftc -enable-testing --skip-build
	$(MAKE) examples
	$(MAKE) fuzz-smoke

# Examples/ is a separate package using Latent as a library (by path), built in its own .build as a
# user's package would be. A debug build keeps the extra build time small (about 1.5 min on 2 cores);
# the runs use the OpenCL device (PoCL in CI), since the CPU backend's kernels unoptimised take over a
# minute per VAE step. Both run in about 10 s each.
EXAMPLES_DEVICE ?= opencl
examples: deps
	cd Examples && $(SWIFT) build
	cd Examples && LATENT_DEVICE=$(EXAMPLES_DEVICE) .build/debug/TrainVAE 50 .build/vae-samples.png
	cd Examples && LATENT_DEVICE=$(EXAMPLES_DEVICE) .build/debug/SampleDDPM ../models/fmnist-ddpm/checkpoint.safetensors 10 .build/ddpm-samples.png

# DocC for the two libraries (swift-docc-plugin); the HTML lands in .build/plugins/Swift-DocC/outputs.
docs:
	$(SWIFT) package generate-documentation --target Latent
	$(SWIFT) package generate-documentation --target LatentCompute

bench: build
	$(LATENT) bench

# Coverage-guided fuzzing of every parser that reads outside bytes (Fuzz/README.md). The fuzz
# executables are built apart (.build-fuzz) with address sanitizer + libFuzzer instrumentation and
# libFuzzer's no-main runtime (their own main hands control to LLVMFuzzerRunDriver), so these
# flags never reach the normal products.
FUZZ_TARGETS := SafeTensors Checkpoint ModelConfig IDX IDXGzip PNGFolder SampleFile
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_RUNTIME := $(firstword $(wildcard $(dir $(realpath $(shell command -v swiftc)))../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-$(shell uname -m).a))
FUZZ_BUILD := $(SWIFT) build $(RELEASE) --scratch-path .build-fuzz -Xswiftc -DFUZZING \
	-Xswiftc -sanitize=address -Xswiftc -Xfrontend -Xswiftc -sanitize=fuzzer,address \
	-Xlinker $(FUZZ_RUNTIME) -Xlinker -lstdc++
# A crash or leak report stops the run; one input may take 10 s and allocate 1 GiB at most.
FUZZ_FLAGS := -timeout=10 -malloc_limit_mb=1024 -rss_limit_mb=2048 -print_final_stats=1
FUZZ_OUT := .build-fuzz/runs

fuzz-build: deps
	@test -n "$(FUZZ_RUNTIME)" || { echo "libFuzzer runtime (libclang_rt.fuzzer_no_main) not found next to swiftc" >&2; exit 1; }
	for t in $(FUZZ_TARGETS); do $(FUZZ_BUILD) --product Fuzz$$t || exit 1; done

# Each target FUZZ_SECONDS seconds on a working copy of its seed corpus; new crash inputs land in
# $(FUZZ_OUT)/<target>/ (crash-*, timeout-*, oom-*): keep them in Tests/FuzzRegressionTests/Inputs/.
fuzz: fuzz-build
	tools/run_fuzzers.sh $(FUZZ_SECONDS) $(FUZZ_OUT) $(FUZZ_FLAGS) -- $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	tools/run_fuzzers.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_OUT) $(FUZZ_FLAGS) -- $(FUZZ_TARGETS)

# The test suite under address / thread sanitizer, each in its own build folder (not part of CI:
# each is a full extra build). SANITIZE_FILTER narrows the suites, e.g.
# `make test-tsan SANITIZE_FILTER='BatchLoaderTests|CPUKernelTests'`.
SANITIZE_FILTER ?=
SANITIZED = $(SWIFT) build $(RELEASE) -Xswiftc -enable-testing --build-tests --sanitize=$(1) --scratch-path .build-$(1) \
	&& $(SWIFT) test $(RELEASE) -Xswiftc -enable-testing --skip-build --sanitize=$(1) --scratch-path .build-$(1) \
	$(if $(SANITIZE_FILTER),--filter '$(SANITIZE_FILTER)')

# detect_leaks=0: the Swift runtime's metadata caches read as leaks. use_sigaltstack=0: with the
# Swift backtracer's own signal stacks, ASan's CHECK fails unmapping its stack when a thread exits.
test-asan: deps
	ASAN_OPTIONS=detect_leaks=0:use_sigaltstack=0 $(call SANITIZED,address)

test-tsan: deps
	TSAN_OPTIONS=halt_on_error=0 $(call SANITIZED,thread)

clean:
	rm -rf .build .build-fuzz .build-address .build-thread

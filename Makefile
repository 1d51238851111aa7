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

.PHONY: deps build demo test examples docs bench clean

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
test: deps
	$(SWIFT) build $(RELEASE) -Xswiftc -enable-testing --build-tests
	$(SWIFT) test $(RELEASE) -Xswiftc -enable-testing --skip-build
	$(MAKE) examples

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

clean:
	rm -rf .build

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

.PHONY: deps build demo test bench clean

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

bench: build
	$(LATENT) bench

clean:
	rm -rf .build

# docker-cloud: a Docker Cloud CLI and a self-hosted server for its API, in Swift.
#   make run    build, start a local docker-cloud-server with embedded defaults
#   make test   install what the tests need (as root), build, run every test
#   make bench  benchmarks of the server (latency, throughput, fan-out, memory)

SWIFT       ?= swift
BUILD_DIR   ?= .build
CONFIG      ?= debug
SERVER_BIN   = $(BUILD_DIR)/$(CONFIG)/docker-cloud-server
RELEASE_BIN  = $(BUILD_DIR)/release/docker-cloud-server
RUN_ADDR    ?= 127.0.0.1:8080

# Debian packages the build and the tests need. Installed only when missing, and only as root.
APT_PACKAGES = libsqlite3-dev libcurl4-openssl-dev pkg-config

.PHONY: all build release deps run test test-swift test-sdk bench clean

all: build

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "missing Debian packages:$$missing (run 'make deps' as root)"; exit 1; fi; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG)

release: deps
	$(SWIFT) build -c release

# Starts a local server in the foreground with embedded defaults (one user, simulated nodes, state
# in ~/.local/share/docker-cloud-server) and prints the exports to use it. Ctrl-C stops it.
run: build
	$(SERVER_BIN) --listen $(RUN_ADDR) --nodes 3

test: build
	$(SWIFT) build --build-tests
	$(MAKE) --no-print-directory test-swift test-sdk

test-swift:
	$(SWIFT) test --skip-build

# The unmodified python-dockercloud SDK against the real server.
test-sdk:
	bash Tests/sdk/run.sh $(SERVER_BIN)

bench: deps
	$(SWIFT) build -c release --product docker-cloud-server
	$(SWIFT) build -c release --product server-bench
	$(BUILD_DIR)/release/server-bench $(RELEASE_BIN)

clean:
	rm -rf $(BUILD_DIR)

# docker-cloud: a Docker Cloud CLI and a self-hosted server for its API, in Swift.
#   make run    build, start a local docker-cloud-server with embedded defaults
#   make test   install what the tests need (as root), build, run every test
#   make fuzz   schemathesis and hostile inputs against the live server for up to 25 minutes
#   make bench  benchmarks of the server (latency, throughput, fan-out, memory), of the CLI vs 1.0.9,
#               and of real containers vs Docker Swarm and plain docker run on a private dockerd

SWIFT       ?= swift
BUILD_DIR   ?= .build
CONFIG      ?= debug
SERVER_BIN   = $(BUILD_DIR)/$(CONFIG)/docker-cloud-server
RELEASE_BIN  = $(BUILD_DIR)/release/docker-cloud-server
RUN_ADDR    ?= 127.0.0.1:8080

# Debian packages the build and the tests need. Installed only when missing, and only as root.
APT_PACKAGES = libsqlite3-dev libcurl4-openssl-dev libedit-dev pkg-config bash-completion zsh groff-base curl openssl python3-venv
# A real Docker engine for the engine tests and `make run` (started privately by
# Tests/engine/dockerd.sh, with an image built offline from busybox). Optional: installed as root,
# otherwise the engine tests say why they skip and `make run` uses simulated nodes.
ENGINE_PACKAGES = docker.io busybox-static

.PHONY: all build release deps run test test-swift test-e2e test-examples test-engine test-byo test-completion test-install test-sdk test-fuzz test-durability fuzz golden completions man install install-files uninstall bench clean

all: build

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "missing Debian packages:$$missing (run 'make deps' as root)"; exit 1; fi; \
	fi
	@missing=""; for p in $(ENGINE_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else echo "note: no$$missing: engine tests will skip and make run will simulate nodes (run 'make deps' as root)"; fi; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG)

# Release builds link the Swift runtime and Foundation statically: one self-contained binary that
# starts in a few milliseconds (no shared Swift libraries to load and relocate).
RELEASE_BUILD = $(SWIFT) build -c release -Xswiftc -static-stdlib
REFERENCE_DIR ?= $(BUILD_DIR)/reference

release: deps
	$(RELEASE_BUILD)

# Builds, starts a local server with embedded defaults (one user, three simulated nodes, state in a
# fresh temporary directory) unless one is configured, drives it with the CLI, then prints
# the exports to use it by hand. Ctrl-C stops the server.
run: build
	@bash scripts/run.sh $(BUILD_DIR)/$(CONFIG) $(RUN_ADDR)

test: build
	$(SWIFT) build --build-tests
	$(MAKE) --no-print-directory test-swift test-e2e test-examples test-engine test-byo test-completion test-install test-sdk test-fuzz test-durability

test-swift:
	$(SWIFT) test --skip-build

# The real docker-cloud binary against a real server: every command, transcripts vs golden files.
test-e2e:
	bash Tests/e2e/run.sh $(BUILD_DIR)/$(CONFIG)

# docker-cloud against a server answering only with the API documents' example objects, each
# attribute removed or null in turn, and beside docker-cloud 1.0.9 on the verbatim examples.
test-examples:
	bash Tests/examples/run.sh $(BUILD_DIR)/$(CONFIG)

# The real docker-cloud and server against real dockerd (started privately; skipped, saying why,
# where no engine can run).
test-engine:
	bash Tests/engine/e2e.sh $(BUILD_DIR)/$(CONFIG)

# Bring your own node with three real dockerd "hosts" on 127.0.0.2-4 joined by node byo's
# command: mutual TLS, tokens, a host frozen and killed (skipped, saying why, without an engine).
test-byo:
	bash Tests/byo/run.sh $(BUILD_DIR)/$(CONFIG)

# Completion in real bash (with bash-completion) and zsh against a running server.
test-completion:
	bash Tests/completion/run.sh $(BUILD_DIR)/$(CONFIG)

# The completion scripts, generated from the command table (a test fails when they are stale).
completions: build
	$(BUILD_DIR)/$(CONFIG)/docker-cloud completion bash > completions/docker-cloud.bash
	$(BUILD_DIR)/$(CONFIG)/docker-cloud completion zsh > completions/_docker-cloud

# Rewrites Tests/e2e/golden/ from a run (review `git diff` before committing).
golden: build
	UPDATE_GOLDEN=1 bash Tests/e2e/run.sh $(BUILD_DIR)/$(CONFIG)

# schemathesis (pinned, from PyPI, into its own virtual environment) and hostile inputs against the
# live server, from the server's own OpenAPI document: no 5xx, answers as documented, still running.
FUZZ_VENV        ?= .venv-fuzz
SCHEMATHESIS_VER  = 4.32.5
$(FUZZ_VENV)/.schemathesis-$(SCHEMATHESIS_VER):
	rm -rf $(FUZZ_VENV) && python3 -m venv $(FUZZ_VENV)
	$(FUZZ_VENV)/bin/pip install -q --disable-pip-version-check schemathesis==$(SCHEMATHESIS_VER)
	touch $@

test-fuzz: $(FUZZ_VENV)/.schemathesis-$(SCHEMATHESIS_VER)
	bash Tests/fuzz/run.sh $(BUILD_DIR)/$(CONFIG) $(FUZZ_VENV) quick

# kill -9 in the middle of a load of creates and starts, three rounds: every acknowledged write
# is there after the restart, nothing half-written.
test-durability:
	python3 Tests/load/kill9.py $(SERVER_BIN) 3

# The long run: 300 examples per operation, up to 25 minutes of schemathesis.
fuzz: build $(FUZZ_VENV)/.schemathesis-$(SCHEMATHESIS_VER)
	bash Tests/fuzz/run.sh $(BUILD_DIR)/$(CONFIG) $(FUZZ_VENV) long

# The unmodified python-dockercloud SDK against the real server.
test-sdk:
	bash Tests/sdk/run.sh $(SERVER_BIN)

# Server benchmarks, then the CLI against docker-cloud 1.0.9 (installed from PyPI when possible;
# without it the ratios are left out) on the same server in the same run.
bench: deps
	$(RELEASE_BUILD) --product docker-cloud-server
	$(RELEASE_BUILD) --product docker-cloud
	$(RELEASE_BUILD) --product server-bench
	$(BUILD_DIR)/release/server-bench $(RELEASE_BIN)
	cc -O2 -o $(BUILD_DIR)/peak bench/peak.c
	-bash ../shared/reference/original/install.sh $(REFERENCE_DIR) >/dev/null 2>&1
	python3 bench/cli_bench.py --peak $(BUILD_DIR)/peak --ours $(BUILD_DIR)/release/docker-cloud \
	  --server $(RELEASE_BIN) --original $(REFERENCE_DIR)/docker-cloud-ref $(if $(BENCH_SERVICES),--services $(BENCH_SERVICES))
	python3 bench/soak.py $(RELEASE_BIN) --seconds $(or $(SOAK_SECONDS),60)
	python3 bench/engine_bench.py --ours $(BUILD_DIR)/release/docker-cloud --server $(RELEASE_BIN) \
	  --dockerd-sh Tests/engine/dockerd.sh --rounds $(or $(BENCH_ROUNDS),3)
	bash bench/failover_bench.sh $(BUILD_DIR)/release $(or $(BENCH_ROUNDS),3)

# Man pages, generated from the command table (a test fails when they are stale).
man: build
	rm -f man/*.1
	$(BUILD_DIR)/$(CONFIG)/docker-cloud __man man

# make install [PREFIX=/usr/local] [DESTDIR=]: optimised, stripped binaries, completions where bash
# and zsh look for them, man pages. make uninstall removes exactly those files (and the directories
# this left empty).
PREFIX      ?= /usr/local
BINDIR       = $(PREFIX)/bin
BASHCOMPDIR  = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR   = $(if $(filter /usr,$(PREFIX)),$(PREFIX)/share/zsh/vendor-completions,$(PREFIX)/share/zsh/site-functions)
MANDIR       = $(PREFIX)/share/man/man1
INSTALLED    = $(BINDIR)/docker-cloud $(BINDIR)/docker-cloud-server $(BASHCOMPDIR)/docker-cloud $(ZSHCOMPDIR)/_docker-cloud \
               $(addprefix $(MANDIR)/,$(notdir $(wildcard man/*.1)))

install: release
	$(MAKE) --no-print-directory install-files BIN_DIR=$(BUILD_DIR)/release

# The copying half of install, from the binaries in BIN_DIR (the install test uses the debug ones).
install-files:
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(MANDIR)
	install -m 0755 -s $(BIN_DIR)/docker-cloud $(BIN_DIR)/docker-cloud-server $(DESTDIR)$(BINDIR)/
	install -m 0644 completions/docker-cloud.bash $(DESTDIR)$(BASHCOMPDIR)/docker-cloud
	install -m 0644 completions/_docker-cloud $(DESTDIR)$(ZSHCOMPDIR)/_docker-cloud
	install -m 0644 man/*.1 $(DESTDIR)$(MANDIR)/

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	@for d in $(BINDIR) $(BASHCOMPDIR) $(ZSHCOMPDIR) $(MANDIR); do d="$(DESTDIR)$$d"; \
	  while [ "$$d" != "$(DESTDIR)" ] && [ "$$d" != / ] && rmdir "$$d" 2>/dev/null; do d=$$(dirname "$$d"); done; done

# install + uninstall into a scratch DESTDIR leaves nothing behind.
test-install:
	bash Tests/install/run.sh $(BUILD_DIR)/$(CONFIG)

clean:
	rm -rf $(BUILD_DIR)

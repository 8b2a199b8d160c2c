# Causette: `make run` serves the site on http://127.0.0.1:8000, `make test` runs every check.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA ?= ./var
export PIP_DISABLE_PIP_VERSION_CHECK := 1

CHROMIUM := /usr/bin/chromium

.PHONY: install run migrate test lint typecheck unit clean services chromium screenshots bench

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	touch $(STAMP)

migrate: install
	$(BIN)/causette migrate --data-dir $(DATA)

run: install
	$(BIN)/causette migrate --data-dir $(DATA)
	$(BIN)/causette serve --host 127.0.0.1 --port 8000 --data-dir $(DATA)

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -q tests/unit

# Browser tests drive Debian's Chromium through Playwright; no tool downloads a browser of its own.
chromium: $(CHROMIUM)

$(CHROMIUM):
	@echo "installing Debian's chromium for the browser tests"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-color-emoji || \
	  (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-noto-color-emoji)

test: install chromium lint typecheck
	$(BIN)/pytest -q

# Rewrites docs/screenshots/ from a real browser session (phone and desktop).
screenshots: install chromium
	CAUSETTE_SCREENSHOTS=1 $(BIN)/pytest -q tests/browser/test_screenshots.py

# The performance suite of issue 7 (docs/performance.md): Causette, InspIRCd 3 (installed from
# Debian's packages when missing) and the picows ceiling; results in bench/results/perf*.
# Takes about half an hour; `.venv/bin/python -m bench.perf --help` runs parts of it.
bench: install
	$(BIN)/pip install -q -e ".[test,bench]"
	$(BIN)/python -m bench.perf

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache src/*.egg-info

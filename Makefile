# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SAMPLE := samples/tidal-pilot.md

.PHONY: demo test test-fast lint format install clean bench run

# One stamp per install flavour, rebuilt when pyproject.toml changes.
$(VENV)/.installed-dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed-dev

demo: install
	$(BIN)/articlebot summarize $(SAMPLE)
	$(BIN)/articlebot ask $(SAMPLE) "Who voted against the pilot, and why?"

# CI runs `make test`: every static check, then the whole suite.
test: lint
	$(BIN)/python -m pytest

# Quick feedback while working: everything but the end-to-end tests marked `slow`.
test-fast: install
	$(BIN)/python -m pytest -m "not slow" -q

# Static checks: ruff (incl. the C90 complexity cap), formatting, mypy --strict on bot/.
lint: install
	$(BIN)/ruff check bot tests bench
	$(BIN)/ruff format --check bot tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix bot tests bench
	$(BIN)/ruff format bot tests bench

bench: install
	$(BIN)/python bench/extraction.py
	$(BIN)/python bench/pipeline_overhead.py
	$(BIN)/python bench/retrieval.py
	$(BIN)/python bench/slack_load.py
	$(BIN)/python bench/slack_load.py --flood 200 --latency 0.5 --concurrency 4
	$(BIN)/python bench/chaos.py
	$(BIN)/python bench/llm_compat.py
	$(BIN)/python bench/offline_abstention.py --halves

# The Slack bot (Socket Mode; settings from .env). `articlebot run --http` for the Events API.
run: install
	$(BIN)/articlebot run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

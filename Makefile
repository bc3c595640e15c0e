# Quick start: `make demo` and `make test` work on a fresh machine with Python >= 3.11 and pip.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint format model bench clean venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed

demo: $(VENV)/.installed
	mkdir -p demo-output
	$(BIN)/narratives tag data/sample/sample_corpus.jsonl -o demo-output/sample_tags.parquet --unit passage --overwrite
	$(BIN)/narratives summarize demo-output/sample_tags.parquet

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

# Rebuild the embedded default model from the bundled corpus (deterministic, seed 0).
model: $(VENV)/.installed
	$(BIN)/python benchmarks/build_default_model.py

bench: $(STAMP)
	$(BIN)/python benchmarks/throughput.py
	$(BIN)/python benchmarks/languages_speed.py
	$(BIN)/python benchmarks/startup.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache

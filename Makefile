# Two commands for a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint bench bench-quick clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/headwater serve --data-dir ./data

lint: $(STAMP)
	$(BIN)/ruff check headwater tests bench
	$(BIN)/ruff format --check headwater tests bench

test: lint
	$(BIN)/python -m pytest -n 2 -q tests

bench: $(STAMP)
	bash bench/run.sh $(BENCH_ARGS)

bench-quick: $(STAMP)
	bash bench/run.sh --quick

clean:
	rm -rf $(VENV) data .pytest_cache

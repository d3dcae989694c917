# Two commands for a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
JS_E2E := tests/e2e/js
JS_STAMP := $(JS_E2E)/node_modules/.installed

.PHONY: serve test lint bench bench-quick clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The JavaScript SDK the end-to-end tests use to check SQS digests as a checking client does.
$(JS_STAMP): $(JS_E2E)/package.json $(JS_E2E)/package-lock.json
	if command -v npm >/dev/null 2>&1; then npm ci --prefix $(JS_E2E) --no-audit --no-fund && touch $@; \
	else echo "npm not found: tests/e2e/sqs/test_js.py needs Node.js and npm"; fi

serve: $(STAMP)
	$(BIN)/headwater serve --data-dir ./data

# Style, then types ([tool.mypy]), then the import contracts ([tool.importlinter]) in pyproject.toml.
lint: $(STAMP)
	$(BIN)/ruff check headwater tests bench
	$(BIN)/ruff format --check headwater tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint $(JS_STAMP)
	$(BIN)/python -m pytest -n 2 -q tests

bench: $(STAMP)
	bash bench/run.sh $(BENCH_ARGS)

bench-quick: $(STAMP)
	bash bench/run.sh --quick

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .import_linter_cache $(JS_E2E)/node_modules

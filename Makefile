# Two commands for a fresh machine: `make serve` and `make test`.
# VENV can point elsewhere (`make serve VENV=/tmp/hw-venv`), e.g. to try a fresh install.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CLIENTS_STAMP := $(VENV)/.installed-clients
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench
JS_E2E := tests/e2e/js
JS_STAMP := $(JS_E2E)/node_modules/.installed
# The AWS CLI v2 (from Debian's archive and PyPI; PyPI's awscli is v1), cached by its version.
AWS_V2_CACHE := .cache/awscli-v2
AWS_V2_STAMP := $(AWS_V2_CACHE)/.installed

.PHONY: serve clients test lint bench bench-quick clean

# Serving needs only the package; the examples' clients and the test tools are extras on top.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

$(CLIENTS_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[clients]'
	touch $(CLIENTS_STAMP)

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

# The JavaScript SDK the end-to-end tests use to check SQS digests as a checking client does.
$(JS_STAMP): $(JS_E2E)/package.json $(JS_E2E)/package-lock.json
	if command -v npm >/dev/null 2>&1; then npm ci --prefix $(JS_E2E) --no-audit --no-fund && touch $@; \
	else echo "npm not found: tests/e2e/sqs/test_js.py needs Node.js and npm"; fi

# For `aws logs tail --follow` and the README run with v2; when it cannot be built (offline), the
# reason goes to $(AWS_V2_CACHE)/unavailable and those tests skip, quoting it.
$(AWS_V2_STAMP): tests/tools/awscli_v2.py tests/tools/awscli-v2-requirements.txt
	if $(PYTHON) tests/tools/awscli_v2.py $(AWS_V2_CACHE); then touch $@; fi

serve: $(STAMP)
	$(BIN)/headwater serve --data-dir ./data

# boto3 and the AWS CLI (v1) for the README's examples: `. $(VENV)/bin/activate` puts them on PATH.
clients: $(CLIENTS_STAMP)

# Style, then types ([tool.mypy]), then the import contracts ([tool.importlinter]) in pyproject.toml.
lint: $(TEST_STAMP)
	$(BIN)/ruff check headwater tests bench
	$(BIN)/ruff format --check headwater tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint $(JS_STAMP) $(AWS_V2_STAMP)
	HEADWATER_AWS_CLI_V2=$(abspath $(AWS_V2_CACHE))/aws $(BIN)/python -m pytest -n 2 -q tests

# The benchmarks' Python peers (amqtt) come with the bench extra.
$(BENCH_STAMP): pyproject.toml $(TEST_STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	bash bench/run.sh $(BENCH_ARGS)

bench-quick: $(BENCH_STAMP)
	bash bench/run.sh --quick

clean:
	rm -rf $(VENV) data .pytest_cache .mypy_cache .import_linter_cache $(JS_E2E)/node_modules $(AWS_V2_CACHE)

# Two commands a newcomer needs: `make demo` and `make test`. Both set up .venv if missing;
# `make test` (and `make setup`) also .venv-bi, the BI clients the tests open the published file with.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
UV_VERSION := 0.13.9
# the BI clients' environment (DuckDB 1.x, SQLAlchemy 1.4 + duckdb-engine): tests/test_bi_clients.py
# opens the published files with it, as DBeaver, ODBC, Evidence and Superset would
BI_VENV  := .venv-bi
BI_STAMP := $(BI_VENV)/.installed

# demo scale: small enough for a laptop, large enough for every VIP tier and status to occur; four
# finished months (June–September) so a tier can go down after three months on watch
DEMO_CUSTOMERS ?= 5000
DEMO_DAYS      ?= 125
DEMO_START     ?= 2026-06-01

.PHONY: setup demo docs notebooks ui test lint bench clean lock codegen

setup: $(STAMP) $(BI_STAMP)

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

# uv venv, not pip: nothing but the pinned list, installed in a few seconds; .venv untouched
$(BI_STAMP): requirements-bi.txt $(STAMP)
	test -x $(BI_VENV)/bin/python || $(BIN)/uv venv --quiet --python $(PYTHON) $(BI_VENV)
	$(BIN)/uv pip sync --quiet --python $(BI_VENV)/bin/python requirements-bi.txt
	touch $(BI_STAMP)

# Re-resolve the pinned lock after editing pyproject.toml dependencies.
lock: $(BIN)/python
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra notebooks --python-version 3.11 -o requirements.lock

demo: $(STAMP)
	$(BIN)/crmwh generate --out data/landing --customers $(DEMO_CUSTOMERS) --days $(DEMO_DAYS) --start $(DEMO_START) --seed 42
	$(BIN)/crmwh run
	$(MAKE) --no-print-directory docs
	@echo; $(BIN)/crmwh where

# The Dagster UI (dagster dev) on the project's definitions and embedded storage
# (.dagster_home): the asset graph from landing files to exports, runs, checks, schedules.
ui: $(STAMP)
	$(BIN)/crmwh ui

# dbt docs (lineage and every column's description) of the warehouse in data/
docs: $(STAMP)
	$(BIN)/crmwh docs

# the analyst notebooks (notebooks/*.py) executed on the published warehouse, as HTML
notebooks: $(STAMP)
	$(BIN)/crmwh notebooks --out data/reports

# the dbt files generated from the extract contract (contract/): sources, staging columns and
# staging YAML; `crmwh codegen --check` lists those that differ
codegen: $(STAMP)
	$(BIN)/crmwh codegen

# two workers (pytest-xdist): modules sharing a built warehouse stay together (tests/conftest.py)
test: $(STAMP) $(BI_STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadscope

# what is configured: ruff's lint rules and its formatter (pyproject.toml); tests/test_lint.py runs both
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: $(STAMP)
	$(BIN)/python bench/bench_generator.py

clean:
	rm -rf data

# The two commands of the README: `make run` (the main job) and `make test`.
# Both set up the virtualenv on first use (and again when pyproject.toml changes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test lint docs clean dagster

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,orchestration]'
	touch $(INSTALLED)

# The KPI card's browser tests drive Debian's chromium (never a downloaded browser).
$(VENV)/.chromium: scripts/ensure_chromium.sh | $(INSTALLED)
	bash scripts/ensure_chromium.sh
	touch $@

## Build everything on the embedded DuckDB from the demo seeds and show the mart.
run: $(INSTALLED)
	$(BIN)/capacity demo

## The Dagster UI on http://127.0.0.1:3000 on the demo, materialised through Dagster first.
dagster: $(INSTALLED)
	$(BIN)/capacity orchestrate --demo

## Every check: Python lint, SQL lint, then the test suite (dbt builds on DuckDB and PostgreSQL).
test: lint $(VENV)/.chromium
	$(BIN)/pytest

lint: $(INSTALLED)
	$(BIN)/ruff check capacity tests scripts
	$(BIN)/ruff format --check capacity tests scripts
	$(BIN)/sqlfluff lint models

## dbt docs for the project (target/index.html).
docs: $(INSTALLED)
	DBT_PROFILES_DIR=. $(BIN)/dbt docs generate

clean:
	rm -rf target logs capacity_demo.duckdb .dagster $(VENV)

## The same demo on Apache Spark (dbt-spark session mode on a local[*] Spark; needs Java 17).
## Minutes of JVM and Spark start-up, so a command of its own rather than part of `make test`.
SPARK_INSTALLED := $(VENV)/.installed-spark

.PHONY: test-spark

$(SPARK_INSTALLED): pyproject.toml | $(INSTALLED)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,orchestration,spark]'
	touch $(SPARK_INSTALLED)

test-spark: $(SPARK_INSTALLED)
	$(BIN)/pytest -m spark tests/spark

# Team Scorecard: everything is one command deep.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
PORT ?= 8501

.PHONY: run test test-lake bench lint setup clean-db scale-demo

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=...)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

# Creates data/scorecard.duckdb with the demo team on first run, then serves the app.
run: $(STAMP)
	$(PY) -m scorecard setup
	$(VENV)/bin/streamlit run server.py --server.port $(PORT) --server.headless true

# PostgreSQL, a DuckLake with the demo team, three app replicas and nginx, on one machine (docs/scale-out.md).
scale-demo: $(STAMP)
	$(PY) -m scorecard.scale_demo --port $(or $(SCALE_PORT),8080)

# The store, import and score tests once more with their stores on a DuckLake (docs/scale-out.md, "Testing on a
# lake"). Left out: tests that open database files of their own or none, which would only run again unchanged.
LAKE_TESTS := $(filter-out tests/test_ingest_property%.py tests/test_ingest_kill.py,\
	$(wildcard tests/test_store.py tests/test_store_changes.py tests/test_ingest_*.py tests/test_scores_*.py))

test: $(STAMP)
	$(PY) -m pytest
	SCORECARD_TEST_BACKEND=ducklake-sqlite $(PY) -m pytest $(LAKE_TESTS)

# Only the lake pass of `make test` (BACKEND=ducklake-postgres runs it on a PostgreSQL catalog).
BACKEND ?= ducklake-sqlite
test-lake: $(STAMP)
	SCORECARD_TEST_BACKEND=$(BACKEND) $(PY) -m pytest $(LAKE_TESTS)

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy --strict scorecard

# Removes the local database (the demo team is re-created by the next `make run`).
clean-db:
	rm -f data/scorecard.duckdb data/scorecard.duckdb.wal

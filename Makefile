# Team Scorecard: everything is one command deep.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
PORT ?= 8501

.PHONY: run test bench lint setup clean-db scale-demo

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

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy --strict scorecard

# Removes the local database (the demo team is re-created by the next `make run`).
clean-db:
	rm -f data/scorecard.duckdb data/scorecard.duckdb.wal

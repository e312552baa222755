# The two commands a newcomer needs:  `make run`  and  `make test`.
# Both create .venv and install everything on first use (again whenever pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PYTEST_ARGS ?= -n 2
HOST ?= 127.0.0.1:8000

.PHONY: install run test lint fuzz bench clean

# DEBUG is off unless asked for; the development commands ask for it (an exported DEBUG wins).
run lint bench: export DEBUG ?= true

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $@

## run: the app on the embedded default (SQLite, tasks in-process, demo data) at http://127.0.0.1:8000
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver $(HOST)

## test: the whole suite; PostgreSQL when DATABASE_URL names one, SQLite otherwise
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

## lint: ruff, mypy, the app layers (import-linter) and a missing-migrations check
lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy prm partners tiering pipeline jbp incentives reporting
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

## fuzz: schemathesis over every API operation against a live server on a throwaway demo database
fuzz: install
	.ci/schemathesis.sh

clean:
	rm -rf $(VENV) var staticfiles

## bench: benchmarks on generated data (BENCH_DATABASE_URL=postgres://… to use PostgreSQL)
bench: install
	DATABASE_URL=$${BENCH_DATABASE_URL:-sqlite:///$(CURDIR)/var/bench.sqlite3} $(PY) bench/tenancy.py
	DATABASE_URL=$${BENCH_DATABASE_URL:-sqlite:///$(CURDIR)/var/bench.sqlite3} $(PY) bench/directory.py
	DATABASE_URL=$${BENCH_DATABASE_URL:-sqlite:///$(CURDIR)/var/bench.sqlite3} $(PY) bench/scoring.py
	DATABASE_URL=$${BENCH_DATABASE_URL:-sqlite:///$(CURDIR)/var/bench.sqlite3} $(PY) bench/jbp_pdf.py
	DATABASE_URL=$${BENCH_DATABASE_URL:-sqlite:///$(CURDIR)/var/bench.sqlite3} $(PY) bench/dashboard.py
	DATABASE_URL=$${BENCH_DATABASE_URL:-sqlite:///$(CURDIR)/var/bench.sqlite3} $(PY) bench/deal_queue.py
	DATABASE_URL=$${BENCH_DATABASE_URL:-sqlite:///$(CURDIR)/var/bench.sqlite3} $(PY) bench/api_list.py

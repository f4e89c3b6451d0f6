# OP-CMS — the two commands are `make run` and `make test`; the rest are their parts.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
OPCMS := $(VENV)/bin/opcms
PYTEST := $(VENV)/bin/pytest

# make test: MariaDB/MySQL and Redis as the machine provides them (override to point elsewhere)
OPCMS_TEST_DATABASE_URL ?= mysql://root@127.0.0.1:3306/opcms_test
OPCMS_TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
export OPCMS_TEST_REDIS_URL
# the SQLite run's own Redis database: it runs beside the MariaDB run
OPCMS_TEST_SQLITE_REDIS_URL ?= redis://127.0.0.1:6379/13

FRONTEND_SOURCES := $(shell find frontend/src frontend/scripts frontend/index.html frontend/vite.config.ts frontend/tsconfig.json -type f 2>/dev/null)

# make bench: a throw-away database (dropped and re-created; its name must contain "bench")
OPCMS_BENCH_DATABASE_URL ?= mysql://root@127.0.0.1:3306/opcms_bench
BENCH_IMPORT_ROWS ?= 50000
BENCH_USAGE_ROWS ?= 1000000
BENCH_SUGGESTION_INVOICES ?= 10000
BENCH_REMINDER_INVOICES ?= 10000
BENCH_BILLING_CUSTOMERS ?= 10000
BENCH_ANALYTICS_CUSTOMERS ?= 10000
# each bench keeps its result here; the last step writes docs/benchmarks.md from them
BENCH_RESULTS ?= var/bench
# the billing bench runs real Celery workers on this Redis database (its queue is purged)
OPCMS_BENCH_BROKER_URL ?= redis://127.0.0.1:6379/14

.PHONY: scale-check help run test install frontend migrate seed lint lint-python lint-types lint-frontend test-backend test-sqlite test-frontend test-e2e test-first-line test-second-line bench permissions-doc clean

help:
	@echo "make run   - install, build the UI, migrate, seed demo data and start API + worker + beat"
	@echo "make test  - every check and test: lint and types, backend on MariaDB + Redis and on SQLite, frontend unit, browser"
	@echo "make scale-check - 2 APIs, 2 workers and 2 Beats as real processes on 2,000 customers, files in one local S3 bucket (CI runs it after make test)"

# --- install ------------------------------------------------------------------------------------
$(VENV)/.installed: backend/pyproject.toml backend/constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip==26.3
	$(PY) -m pip install --quiet --disable-pip-version-check -c backend/constraints.txt -e "backend[test]"
	touch $@

install: $(VENV)/.installed

frontend/node_modules/.installed: frontend/package.json frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend/dist/index.html: frontend/node_modules/.installed $(FRONTEND_SOURCES)
	cd frontend && npm run build --silent

frontend: frontend/dist/index.html

# --- run ----------------------------------------------------------------------------------------
migrate: install
	$(OPCMS) migrate

seed: migrate
	$(OPCMS) seed-demo --customers 200

run: install frontend seed
	@$(OPCMS) print-login
	exec $(OPCMS) run

# --- lint (part of make test; any finding fails) ------------------------------------------------
lint: lint-python lint-types lint-frontend

lint-python: install
	$(VENV)/bin/ruff check backend tests
	$(VENV)/bin/ruff format --check backend tests

lint-types: install
	$(VENV)/bin/mypy

lint-frontend: frontend/node_modules/.installed
	cd frontend && npm run lint --silent && npm run typecheck --silent

# --- test ---------------------------------------------------------------------------------------
# make test keeps both cores busy from the start. The Python and npm installs run side by side,
# then the UI is built (the browser tests and the API docs test need it). Two lines follow, side
# by side, each with its own database (the browser tests an SQLite file of their own, the scale
# check a MariaDB database and Redis db of its own):
#   1. the Python lint and types, the MariaDB run, then the scale check (real processes);
#   2. the frontend lint and types, the SQLite run, the frontend unit tests, the browser tests.
# One after the other they took over 45 min on two cores; side by side about half of that.
test:
	$(MAKE) --no-print-directory -j2 --output-sync=target install frontend/node_modules/.installed
	$(MAKE) --no-print-directory frontend
	$(MAKE) --no-print-directory -j2 --output-sync=target test-first-line test-second-line

test-first-line: install frontend
	$(MAKE) --no-print-directory lint-python lint-types
	$(MAKE) --no-print-directory test-backend
	$(MAKE) --no-print-directory scale-check

test-second-line: install frontend frontend/node_modules/.installed
	$(MAKE) --no-print-directory lint-frontend
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-frontend
	$(MAKE) --no-print-directory test-e2e

test-backend: install frontend
	OPCMS_TEST_DATABASE_URL=$(OPCMS_TEST_DATABASE_URL) $(PYTEST) tests/backend -q --durations=15

# the database tests once more on the embedded default
test-sqlite: install
	OPCMS_TEST_DATABASE_URL= OPCMS_TEST_REDIS_URL=$(OPCMS_TEST_SQLITE_REDIS_URL) $(PYTEST) tests/backend -q -m db --durations=15

test-frontend: frontend/node_modules/.installed
	cd frontend && npm test --silent

test-e2e: install frontend
	OPCMS_E2E_BUILD=never node --test tests/e2e/

# --- benchmarks (DESIGN §15; not part of make test) ---------------------------------------------
bench: install
	rm -rf $(BENCH_RESULTS)
	OPCMS_DATABASE_URL=$(OPCMS_BENCH_DATABASE_URL) OPCMS_LOG_LEVEL=WARNING $(OPCMS) bench import --rows $(BENCH_IMPORT_ROWS) --record $(BENCH_RESULTS)
	OPCMS_DATABASE_URL=$(OPCMS_BENCH_DATABASE_URL) OPCMS_LOG_LEVEL=WARNING $(OPCMS) bench api --record $(BENCH_RESULTS)
	$(OPCMS) bench price --record $(BENCH_RESULTS)
	OPCMS_DATABASE_URL=$(OPCMS_BENCH_DATABASE_URL) OPCMS_LOG_LEVEL=WARNING $(OPCMS) bench usage --rows $(BENCH_USAGE_ROWS) --record $(BENCH_RESULTS)
	OPCMS_DATABASE_URL=$(OPCMS_BENCH_DATABASE_URL) OPCMS_BROKER_URL=$(OPCMS_BENCH_BROKER_URL) OPCMS_LOG_LEVEL=WARNING $(OPCMS) bench billing --customers $(BENCH_BILLING_CUSTOMERS) --record $(BENCH_RESULTS)
	OPCMS_DATABASE_URL=$(OPCMS_BENCH_DATABASE_URL) OPCMS_LOG_LEVEL=WARNING $(OPCMS) bench suggestions --invoices $(BENCH_SUGGESTION_INVOICES) --record $(BENCH_RESULTS)
	OPCMS_DATABASE_URL=$(OPCMS_BENCH_DATABASE_URL) OPCMS_LOG_LEVEL=WARNING $(OPCMS) bench reminders --invoices $(BENCH_REMINDER_INVOICES) --record $(BENCH_RESULTS)
	OPCMS_DATABASE_URL=$(OPCMS_BENCH_DATABASE_URL) OPCMS_LOG_LEVEL=WARNING $(OPCMS) bench analytics --customers $(BENCH_ANALYTICS_CUSTOMERS) --record $(BENCH_RESULTS)
	OPCMS_DATABASE_URL=$(OPCMS_BENCH_DATABASE_URL) OPCMS_LOG_LEVEL=WARNING $(OPCMS) bench statements --record $(BENCH_RESULTS)
	$(OPCMS) bench report --record $(BENCH_RESULTS) --out docs/benchmarks.md

# --- scale-out with real processes (DESIGN §15; the last step of make test's first line: ~1.5 min)
# its own throw-away database (created, then dropped; the name must contain "scale") and Redis
# database (emptied first)
OPCMS_SCALE_DATABASE_URL ?= mysql://root@127.0.0.1:3306/opcms_scale
OPCMS_SCALE_REDIS_URL ?= redis://127.0.0.1:6379/14

scale-check: install
	bash .ci/services
	OPCMS_SCALE_DATABASE_URL=$(OPCMS_SCALE_DATABASE_URL) OPCMS_SCALE_REDIS_URL=$(OPCMS_SCALE_REDIS_URL) $(OPCMS) scale-check

permissions-doc: install
	$(OPCMS) permissions --markdown > docs/permissions.md

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist var

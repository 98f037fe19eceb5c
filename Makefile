# The two commands: `make run` (the whole portal, embedded defaults) and `make test`.
# With DATABASE_URL / REDIS_URL set in the environment (or .env) both use them.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
RUNTIME_STAMP := $(VENV)/.installed-runtime
DEV_STAMP := $(VENV)/.installed-dev
NODE_STAMP := node_modules/.installed
PYTEST_ARGS ?=
# Two pytest-xdist workers (the machine has two cores); a browser journey on either worker
# gets that worker's own stack (tests/e2e/stack.py). PYTEST_WORKERS=0: serial.
PYTEST_WORKERS ?= 2
PYTEST_XDIST = $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadgroup)
BENCH_ARGS ?= --orgs 200 --workers 4
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint migrate bench install install-dev clean help

help:
	@echo "make run      start web, worker, beat and the sandbox on http://127.0.0.1:8000"
	@echo "make test     run the whole test suite"
	@echo "make lint     ruff check, ruff format --check, mypy"
	@echo "make migrate  apply database migrations"
	@echo "make bench    provisioning benchmark (needs REDIS_URL)"

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@ $(RUNTIME_STAMP)

# axe-core for the browser journeys' accessibility checks (test-only; see package.json).
$(NODE_STAMP): package.json
	@if command -v npm >/dev/null 2>&1; then npm install --no-audit --no-fund --silent && touch $@; \
	else echo "npm not found: browser journeys are skipped (a failure under CI)"; fi

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

migrate: $(RUNTIME_STAMP)
	$(PY) manage.py migrate --noinput

run: migrate
	$(PY) manage.py devstack --host $(HOST) --port $(PORT)

test: $(DEV_STAMP) $(NODE_STAMP)
	$(PY) -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy portal orgs idp_selfservice sandbox

# The benchmark prepares a database and a Redis db of its own (see bench_provisioning).
bench: $(DEV_STAMP)
	$(PY) manage.py bench_provisioning $(BENCH_ARGS) --json
	$(PY) manage.py bench_provisioning $(BENCH_ARGS) --faults --json
	$(PY) manage.py bench_provisioning --orgs 1000 --workers 4 --interactive 20 --json
	$(PY) manage.py bench_org_list --orgs 10000 --ops 50000 --before --json
	$(PY) manage.py bench_signup --runs 3 --json
	$(PY) manage.py bench_redeploy --orgs 200 --json
	$(PY) manage.py bench_user_migration --users 10000 --without-roles --json

clean:
	rm -rf $(VENV) var/staticfiles .pytest_cache .mypy_cache .ruff_cache

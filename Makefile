# Rehabkart: `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format typecheck migrate revision openapi messages bench clean

$(RUNTIME_STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Rehabkart needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

$(DEV_STAMP): requirements-dev.lock $(RUNTIME_STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	touch $@

# The CDN assets at the pinned versions, for the browser tests (which never reach the CDN).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --silent --no-audit --no-fund && touch $@; \
	else echo "npm not found: browser tests will be skipped"; fi

## run: set up (migrate, reference data, demo data on a new embedded DB) and serve on http://127.0.0.1:8000
run: $(RUNTIME_STAMP)
	$(BIN)/rehabkart setup
	$(BIN)/rehabkart serve --host $(HOST) --port $(PORT)

## test: the whole suite (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)
test: $(DEV_STAMP) node_modules/.installed
	$(BIN)/pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check app tests bench migrations/env.py
	$(BIN)/ruff format --check app tests bench migrations/env.py

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix app tests bench migrations/env.py
	$(BIN)/ruff format app tests bench migrations/env.py

typecheck: $(DEV_STAMP)
	$(BIN)/mypy app tests

migrate: $(RUNTIME_STAMP)
	$(BIN)/rehabkart db upgrade

## revision: make revision m="what changed"
revision: $(RUNTIME_STAMP)
	$(BIN)/alembic revision --autogenerate -m "$(m)"

openapi: $(RUNTIME_STAMP)
	$(BIN)/rehabkart openapi

## messages: extract the page texts (bokmål source) into app/web/locale/messages.pot for nynorsk/English
messages: $(DEV_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -o app/web/locale/messages.pot app

bench: $(DEV_STAMP)
	$(BIN)/python bench/run_list_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache test-output

# The README's two commands: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 5000
EMULATOR_PORT ?= 8081

.PHONY: run test install lock services lint format clean

$(STAMP): pyproject.toml requirements-dev.txt
	@scripts/bootstrap.sh "$(PYTHON)" "$(VENV)"
	@touch $@

install: $(STAMP)

## make run: the portal on http://localhost:$(PORT) with the Google emulator, a worker and the scheduler (SQLite)
run: install
	@scripts/services.sh redis
	@mkdir -p instance
	@PORT=$(PORT) EMULATOR_PORT=$(EMULATOR_PORT) scripts/run.sh

## make test: the whole suite against PostgreSQL and SQLite, with Redis, plus lint
test: install
	@scripts/services.sh redis postgresql
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n 2 --db postgresql
	$(BIN)/python -m pytest -n 2 --db sqlite -m "not browser" --ignore=tests/emulator

## make lock: pin every package again from pyproject.toml (requirements.txt is what Heroku installs)
lock: install
	$(BIN)/uv pip compile -q pyproject.toml --universal --python-version 3.11 -o requirements.txt
	$(BIN)/uv pip compile -q pyproject.toml --extra dev --universal --python-version 3.11 \
		-c requirements.txt -o requirements-dev.txt

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports

format:
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

clean:
	rm -rf $(VENV) instance/*.sqlite3 .pytest_cache .ruff_cache

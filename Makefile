# The README's two commands: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 5000
EMULATOR_PORT ?= 8081

.PHONY: run test test-dates install lock services lint format clean

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

## make test-dates: the suite again with the clock a year ahead and three months back (not CI's)
# About a year ahead, landing on a Sunday, and about three months back, on a Saturday (a day
# later once a run passes midnight): at a weekend "today's week" (Monday to Sunday) and "in
# two days" part, so it finds more than a weekday would.
WEEKDAY = $(shell date -u +%u)
DATE_OFFSETS ?= +$(shell echo $$((364 + (7 - $(WEEKDAY)) % 7)))d -$(shell echo $$((84 + ($(WEEKDAY) + 1) % 7)))d
# libfaketime moves the wall clock of pytest and of every worker, clock and emulator it starts.
# The monotonic clock stays real so timeouts and locks behave; tests/support/faketime/ makes
# time.sleep work that way too, and screenshots go to a scratch folder, not docs/.
FAKED = FAKETIME_DONT_FAKE_MONOTONIC=1 PYTHONPATH=$(CURDIR)/tests/support/faketime \
	TEST_SCREENSHOTS_DIR="$$shots" faketime -f
test-dates: install
	@scripts/services.sh redis postgresql
	@command -v faketime >/dev/null || { \
	  if [ "$$(id -u)" != 0 ]; then \
	    echo "error: faketime is not installed. Install it (Debian: sudo apt-get install -y faketime) and run again." >&2; \
	    exit 1; \
	  fi; \
	  echo "installing faketime with apt-get ..." >&2; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null; \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null; \
	}
	@shots=$$(mktemp -d); failed=""; \
	for offset in $(DATE_OFFSETS); do \
	  day=$$(faketime -f "$$offset" date -u '+%a %-d %b %Y'); \
	  echo "== clock $$offset ($$day): PostgreSQL"; \
	  $(FAKED) "$$offset" $(BIN)/python -m pytest -n 2 --db postgresql \
	    || failed="$$failed $$offset/postgresql"; \
	  echo "== clock $$offset ($$day): SQLite"; \
	  $(FAKED) "$$offset" $(BIN)/python -m pytest -n 2 --db sqlite -m "not browser" \
	    --ignore=tests/emulator || failed="$$failed $$offset/sqlite"; \
	done; \
	rm -rf "$$shots"; \
	if [ -n "$$failed" ]; then echo "test-dates: failed under$$failed" >&2; exit 1; fi; \
	echo "test-dates: passed under every clock ($(DATE_OFFSETS))"

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

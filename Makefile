# Every target bootstraps .venv itself, so a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test test-fast lint bench clean

$(BIN)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(BIN)/.dev: requirements.txt requirements-dev.txt $(BIN)/.runtime
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

run: $(BIN)/.runtime  ## serve http://127.0.0.1:5000 with a local SQLite database and demo content
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	$(BIN)/flask run --host 127.0.0.1 --port 5000

test: $(BIN)/.dev  ## the whole suite: SQLite always, PostgreSQL with TEST_DATABASE_URL, Chromium when present
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(BIN)/.dev  ## unit and web tests only, SQLite only: the inner loop while editing; `make test` stays the whole suite and what CI runs
	env -u TEST_DATABASE_URL -u FORUM_REQUIRE_SERVICES $(BIN)/python -m pytest tests/unit tests/web $(PYTEST_ARGS)

lint: $(BIN)/.dev
	$(BIN)/ruff check forum tests

bench: $(BIN)/.dev  ## generate a realistic database (once per scale) and load-test it with wrk; see bench/README.md
	$(BIN)/python -m bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache

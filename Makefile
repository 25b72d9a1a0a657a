# Every target bootstraps .venv itself, so a fresh clone needs only Python 3.11 and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py

.PHONY: run test test-fast lint bench clean mutation

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

# vnu-jar and axe-core for tests/e2e/test_validators.py, pinned in package-lock.json; without npm those tests skip
# (and fail in CI). --ignore-scripts: vnu-jar's install script would download a Java; we use the system's.
NODE_DEPS := $(if $(shell command -v npm),node_modules/.installed)

node_modules/.installed: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

test: $(BIN)/.dev $(NODE_DEPS)  ## the whole suite: SQLite always, PostgreSQL with TEST_DATABASE_URL, Chromium when present
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(BIN)/.dev  ## unit and web tests only, SQLite only: the inner loop while editing; `make test` stays the whole suite and what CI runs
	env -u TEST_DATABASE_URL -u FORUM_REQUIRE_SERVICES $(BIN)/python -m pytest tests/unit tests/web $(PYTEST_ARGS)

lint: $(BIN)/.dev
	$(BIN)/ruff check forum tests

bench: $(BIN)/.dev  ## generate a realistic database (once per scale) and load-test it with wrk; see bench/README.md
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# Mutation testing of the pure modules named in [tool.mutmut] (pyproject.toml) against tests/unit, from scratch each
# time: mutmut keeps old verdicts when only the tests change. Two workers; MUTMUT_ARGS='--max-children 1' for fewer.
MUTMUT_ARGS ?= --max-children 2
mutation: $(BIN)/.dev  ## mutmut over exam, ranking, search_syntax, insights/stats and markup: survivors, then a score per module
	rm -rf mutants
	$(BIN)/mutmut run $(MUTMUT_ARGS)
	$(BIN)/mutmut results
	@$(BIN)/mutmut results --all true | awk -F': ' ' \
	  { m = $$1; gsub(/ /, "", m); sub(/[.][^.]*$$/, "", m); if (!(m in n)) order[++c] = m; \
	    n[m]++; n["all"]++; if ($$2 == "killed") { k[m]++; k["all"]++ } else if ($$2 == "survived") { s[m]++; s["all"]++ } } \
	  END { order[++c] = "all"; printf "%-22s %7s %7s %9s %6s %6s\n", "module", "mutants", "killed", "survived", "other", "score"; \
	    for (i = 1; i <= c; i++) { m = order[i]; \
	      printf "%-22s %7d %7d %9d %6d %5.1f%%\n", m, n[m], k[m], s[m], n[m] - k[m] - s[m], 100 * k[m] / n[m] } }'

clean:
	rm -rf $(VENV) .pytest_cache

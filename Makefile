# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install token demo bench

$(STAMP): setup.cfg pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

# Run the service on the embedded default: SQLite under ./var/, the embedded token
# issuer, projections in-process. A caseworker token is printed first.
# `DEMO=1 make run` loads the demo data set first (once; see `make demo`).
run: $(STAMP)
	@if [ -n "$(DEMO)" ]; then $(BIN)/casetrail demo; fi
	@echo "A caseworker token for org 'sms' (valid 15 minutes; \`make token\` prints another):"
	@$(BIN)/casetrail token --sub officer-1 --org sms --role caseworker --role supervisor
	@echo
	$(BIN)/casetrail serve --host 127.0.0.1 --port 8000

# The whole test suite. PostgreSQL tests use CASETRAIL_TEST_POSTGRES_URL (default:
# postgresql://postgres@127.0.0.1:5432/casetrail_test); CI sets CASETRAIL_REQUIRE_POSTGRES=1.
test: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)

# A realistic data set: several hundred cases of five organisations over two years,
# written through the application layer. Loading it again writes nothing.
demo: $(STAMP)
	$(BIN)/casetrail demo

token: $(STAMP)
	@$(BIN)/casetrail token --sub officer-1 --org sms --role caseworker --role supervisor

# The benchmarks of docs/benchmarks.md: ~15 min on 2 cores; needs wrk and
# pgbench (apt-get install wrk postgresql-contrib) and PostgreSQL at
# CASETRAIL_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/casetrail_bench,
# created if missing). `make bench BENCH_ARGS="--only write --seconds 3"` for a part.
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

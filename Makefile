# The two commands of the README. Each creates .venv on first use and reinstalls when
# pyproject.toml changes; nothing is needed beyond Python 3.11, pip and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: serve test bench mutation schema clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

# The gateway on :8000 and, beside it, the demo licensing source on :8001 (admitted on first start, stopped
# with the gateway): GraphiQL's first query joins stored records with its live licences. DEMO_SOURCE= turns it off.
DEMO_SOURCE ?= 8001
serve: $(VENV)/.installed
	$(BIN)/credit-gateway serve $(if $(DEMO_SOURCE),--demo-source $(DEMO_SOURCE))

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

# The committed SDL (schema.graphql) rewritten from the served schema; tests/test_schema_contract.py
# fails until it is, and until CHANGELOG.md names each change a client would notice.
schema: $(VENV)/.installed
	$(BIN)/credit-gateway schema -o schema.graphql

# BENCH_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/credit_gateway_bench adds the PostgreSQL goals.
bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

# Mutation testing of the access and log code (tests/mutation.py, tests/MUTATION.md): per-module
# kill rates and every survivor; fails below 90% on a module. MODULE=resolvers/scope.py for one.
mutation: $(VENV)/.installed-test
	$(BIN)/python -m tests.mutation --jobs 2 $(if $(MODULE),--module $(MODULE))

clean:
	rm -rf $(VENV) data *.egg-info

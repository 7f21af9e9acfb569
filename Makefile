# Overdue: `make run` starts everything on this machine, `make test` runs the suite.
# Both create .venv with Python 3.11 and install the project when needed.

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test check-system clean-state help

help:
	@echo "make run          start Temporal, the worker and the API on the sample ledger"
	@echo "make test         run the test suite (set OVERDUE_TEST_DATABASE_URL for PostgreSQL)"
	@echo "make clean-state  delete var/ (databases and logs of make run)"

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: install Python 3.11 or set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-run

check-system:
	@$(BIN)/python -c "import weasyprint" 2>/dev/null || { \
	  echo "WeasyPrint cannot load Pango: install it, e.g. apt-get install libpango-1.0-0 libpangoft2-1.0-0"; exit 1; }

run: $(VENV)/.installed-run check-system
	$(BIN)/python scripts/run_local.py

test: $(VENV)/.installed-test check-system
	$(BIN)/pytest

clean-state:
	rm -rf var

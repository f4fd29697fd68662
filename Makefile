# The two commands a newcomer needs: `make run` and `make test`.
# Python 3.11 when it is installed under that name, else whatever python3 is.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test bench clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# RUN_ARGS="--broker filesystem" tries the no-Redis mode; see `$(PY) -m dashboard.run --help`.
run: $(VENV)/.runtime
	$(PY) -m dashboard.run $(RUN_ARGS)

test: $(VENV)/.dev
	$(PY) -m pytest $(PYTEST_ARGS)

# Needs PostgreSQL and Redis (see docs/benchmarks.md); QUICK=1 for a check in under two minutes.
bench: $(VENV)/.dev
	$(PY) -m bench $(if $(QUICK),--quick)

clean:
	rm -rf var/ test-artifacts/ staticfiles/

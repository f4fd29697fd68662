# The two commands a newcomer needs: `make run` and `make test`.
# Python 3.11 when it is installed under that name, else whatever python3 is.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test bench lock clean

# The locks pin every package, transitive ones included, with hashes; pip installs them
# with --require-hashes, as the Dockerfile does. requirements-dev.lock is a superset of
# requirements.lock at the same versions. Edit the direct pins in requirements.txt and
# requirements-dev.txt, then `make lock`.
$(VENV)/.runtime: requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	touch $@

$(VENV)/.dev: requirements-dev.lock $(VENV)/.runtime
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

# RUN_ARGS="--broker filesystem" tries the no-Redis mode; see `$(PY) -m ops.run --help`.
run: $(VENV)/.runtime
	$(PY) -m ops.run $(RUN_ARGS)

# TEST_PROCESSES=0 runs the suite in this one process (pdb, -x); worksteal keeps both
# processes busy when the slow end-to-end tests bunch up.
TEST_PROCESSES ?= 2
test: $(VENV)/.dev
	$(PY) -m pytest $(if $(filter 0,$(TEST_PROCESSES)),,-n $(TEST_PROCESSES) --dist worksteal) $(PYTEST_ARGS)

# Needs PostgreSQL and Redis (see docs/benchmarks.md); QUICK=1 for a check in under two minutes.
bench: $(VENV)/.dev
	$(PY) -m bench $(if $(QUICK),--quick)

# Regenerates both locks from requirements.txt and requirements-dev.txt with pip-tools,
# against pip's default index only (this machine's mirrors and wheel folders are
# ignored: the hashes must be the registry's). Versions already locked are kept;
# LOCK_ARGS=--upgrade moves them all to the newest allowed, LOCK_ARGS="--upgrade-package
# NAME" one of them.
LOCK_TOOLS := var/lock-tools
PIP_COMPILE = env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL PIP_CONFIG_FILE=/dev/null \
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_TOOLS)/bin/pip-compile --quiet --generate-hashes \
	--allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_ARGS)

lock:
	test -x $(LOCK_TOOLS)/bin/pip-compile || { $(PYTHON) -m venv $(LOCK_TOOLS) \
		&& $(LOCK_TOOLS)/bin/pip install --quiet pip-tools==7.6.2; }
	$(PIP_COMPILE) --output-file requirements.lock requirements.txt
	$(PIP_COMPILE) --constraint requirements.lock --output-file requirements-dev.lock requirements-dev.txt

clean:
	rm -rf var/ test-artifacts/ staticfiles/

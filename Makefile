# `make demo` and `make test` build .venv on first use (pinned CPU-capable torch and the
# OpenMMLab stack), then run. Re-runs reuse it; editing a requirements file reinstalls.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.kd_plugin-installed
# openmim's own dependency chain (opendatalab -> openxlab) pins old setuptools/requests
# versions; mim needs none of it, so it is installed with its real dependencies only.
MIM_DEPS := Click colorama model-index pandas requests rich tabulate

.PHONY: install test lint format demo results clean

install: $(STAMP)

$(STAMP): setup.py requirements/pinned.txt requirements/runtime.txt requirements/tests.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/pinned.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check $(MIM_DEPS)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps openmim==0.3.9
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

# Two workers with one torch thread each: the suite is mostly independent smoke runs.
test: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 tests

# MMPretrain's linters (settings in setup.cfg); CI runs this before the tests.
LINTED := kd_plugin tools tests configs setup.py
lint: $(STAMP)
	$(BIN)/flake8 $(LINTED)
	$(BIN)/isort --check-only --diff $(LINTED)
	$(BIN)/yapf --diff --recursive $(LINTED)

format: $(STAMP)
	$(BIN)/isort $(LINTED)
	$(BIN)/yapf --in-place --recursive $(LINTED)

# Rewrites the table between the markers of README.md with its output (one torch thread:
# the same numbers on every machine).
demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python tools/demo.py --readme README.md

# docs/results.md and its plot: every method family on the bundled digits, three seeds,
# one process per core (about 20 minutes on two cores).
results: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python tools/benchmark_results.py

clean:
	rm -rf $(VENV) build dist *.egg-info kd_plugin/.mim work_dirs/demo

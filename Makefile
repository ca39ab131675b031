# Two commands on a fresh machine with Python 3.11:
#   make bench   sets up .venv and runs the benchmark suite (quick profile, embedded digits data)
#   make test    sets up .venv and runs lint, the layer contract, the manual's build and the library tests
#   make test-slow  the tests marked slow (model families, clusters, Slurm, suite processes); CI runs both
#   make docs    builds the manual (docs/, MkDocs) into build/site with --strict
# Knobs: NAME=<run name> ARGS="<extra pytest options>" TF=cpu|gpu PYTHON=<python3.11>

PYTHON ?= $(shell command -v python3.11 || command -v python3)
TF ?= cpu
NAME ?= quick
ARGS ?=
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(TF)

.PHONY: bench test test-slow lint docs install clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("tfbench needs Python 3.11, found " + sys.version.split()[0]) if sys.version_info[:2] != (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(TF),test,mnist5k,tfds]'
	rm -f $(VENV)/.installed-*
	touch $@

bench: $(STAMP)
	$(BIN)/python -m pytest benchmarks/ --benchmark-save=$(NAME) --benchmark-save-data --benchmark-sort=name $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# --strict: a broken link, a page missing from the nav or a generated page that fails ends the build.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir build/site

# The tests marked slow (real model families, clusters, Slurm, whole suite processes) run in
# `make test-slow`; CI runs both.
test: lint docs
	$(BIN)/python -m pytest tests/ -m "not slow" --durations=15 $(ARGS)

test-slow: $(STAMP)
	$(BIN)/python -m pytest tests/ -m slow --durations=15 $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info

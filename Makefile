# Two commands on a fresh machine with Python 3.11, 3.12 or 3.13 (the Pythons TensorFlow 2.21 supports):
#   make bench   sets up .venv and runs the benchmark suite (quick profile, embedded digits data)
#   make test    sets up .venv and runs lint, the layer contract, the manual's build and the library tests
#   make test-slow  the tests marked slow (model families, clusters, Slurm, suite processes); CI runs both
#   make docs    builds the manual (docs/, MkDocs) into build/site with --strict
#   make test-fast  the tests not marked slow, without lint and the manual (CI runs them on a second Python)
#   make reference  runs the quick profile and keeps it as the manual's reference run (reports/reference/$(MACHINE)/);
#                   PROFILE=nightly keeps a nightly run beside it (reports/reference/$(MACHINE)-nightly/)
# Knobs: NAME=<run name> ARGS="<extra pytest options>" TF=cpu|gpu PYTHON=<a python3.11 to 3.13>
#        MACHINE=<machine class, the reference run's folder> PROFILE=<the reference run's profile>

SUPPORTED_PYTHONS := python3.13 python3.12 python3.11
# The newest supported python3.x on PATH that runs (a pyenv shim for a version that is not active
# is on PATH but fails), else python3, which the check below accepts or refuses by name.
ifeq ($(origin PYTHON),undefined)
PYTHON := $(firstword $(foreach p,$(SUPPORTED_PYTHONS),$(shell $(p) -c 'print("$(p)")' 2>/dev/null)) python3)
endif
TF ?= cpu
NAME ?= quick
ARGS ?=
# The folder mkdocs.yml names as the manual's reference run, unless MACHINE names another machine class.
MACHINE ?= $(notdir $(shell sed -n "s/^ *reference_run: *//p" mkdocs.yml))
PROFILE ?= quick
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(TF)

.PHONY: bench test test-fast test-slow lint docs reference install clean

install: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null \
		|| { echo "tfbench needs Python 3.11, 3.12 or 3.13; PYTHON=$(PYTHON) is $$($(PYTHON) --version 2>&1 | head -n 1): pass one as make PYTHON=/path/to/python3.12"; exit 1; }
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

test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/ -m "not slow" -q $(ARGS)

test-slow: $(STAMP)
	$(BIN)/python -m pytest tests/ -m slow --durations=15 $(ARGS)

# The manual renders every measured figure from this run (mkdocs.yml extra.reference_run, docs_hooks/reference_run.py):
# the saved run with its raw rounds, and pytest's JUnit XML of the same session for the wall times. Run it on a
# quiet machine; the folder then holds only the new run.
# Another profile's run is kept beside the manual's, in <class>-<profile>/, never in its place.
KEPT_AS := $(if $(filter-out quick,$(PROFILE)),$(PROFILE))
REFERENCE := reports/reference/$(MACHINE)$(if $(KEPT_AS),-$(KEPT_AS))
reference: $(STAMP)
	rm -rf build/reference
	$(BIN)/python -m pytest benchmarks/ --bench-profile $(PROFILE) --benchmark-save=$(PROFILE) --benchmark-save-data \
		--benchmark-storage=file://build/reference --junitxml=build/reference/$(PROFILE).junit.xml $(ARGS)
	mkdir -p $(REFERENCE)
	rm -f $(REFERENCE)/*.json $(REFERENCE)/*.junit.xml
	mv build/reference/*/0001_$(PROFILE).json $(REFERENCE)/
	mv build/reference/$(PROFILE).junit.xml $(REFERENCE)/
	$(BIN)/python -m bench_lib reference-run $(REFERENCE)/0001_$(PROFILE).json --reports reports $(if $(KEPT_AS),--name $(KEPT_AS))
	@echo "kept in $(REFERENCE)/; make docs renders the manual from it"

clean:
	rm -rf $(VENV) build *.egg-info

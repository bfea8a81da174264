# Two commands do all the set-up: `make demo` (the main job) and `make test` (the test suite).
# Each creates .venv from pyproject.toml on first use; nothing else needs installing by hand.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test bench clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,cluster]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) run_all.py --paper aouayeb2019

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/run_all_benchmarks.py

clean-venv:
	rm -rf $(VENV)

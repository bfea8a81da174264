# Two commands do all the set-up: `make demo` (the main job) and `make test` (the test suite).
# Each creates .venv from pyproject.toml on first use; nothing else needs installing by hand.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test check-paper coverage test-jax test-torch bench gpu-check clean-venv

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,cluster]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) run_all.py --paper aouayeb2019

# The linter and the type checker first (seconds; configured in pyproject.toml, docs/house.md "Static
# checks"), then the whole suite in one session of two processes (pytest-xdist; Keras model building, tracing
# and the preprocessing leave a core idle in one): each test file shared out whole, tests/test_real_shape.py's
# trained folds a paper at a time (tests/conftest.py: the units of work), those units first; the two processes
# share the smoke corpora and the preprocessing cache; the 15 costliest tests are listed at the end. Timings:
# .ci/run, docs/performance.md.
test: $(STAMP)
	$(PY) -m ruff check
	$(PY) -m mypy
	$(PY) -m pytest -q -n 2 --dist loadgroup --durations=15

# Is papers/$(ID)/ done? The package's own checks first (seconds: it imports, its declarations, its network against
# its declared inputs), then every test that concerns it in one run (its own, the template's, the registry-wide
# ones), then ruff and mypy on its folder; one summary line (tests/check_paper.py): the last step of papers/README.md.
check-paper: $(STAMP)
	$(PY) tests/check_paper.py $(ID)

# Branch coverage of common/ and papers/ over the whole suite (subprocesses included): the table on the
# terminal, the pages in reports/coverage/ (docs/performance.md gives the figure).
coverage: $(STAMP)
	$(PY) -m pytest -q --cov --cov-report=term:skip-covered --cov-report=html:reports/coverage

# Other Keras backends: each in its own venv, so the TensorFlow one stays as it is.
# tests/test_backends.py: every model of every paper built once (parameter counts equal to
# TensorFlow's) and one smoke fold of each paper, on that backend; tests/test_training_device.py:
# TrainConfig.device_data trains as model.fit does on that backend.
VENV_JAX   := .venv-jax
VENV_TORCH := .venv-torch

$(VENV_JAX)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV_JAX)
	$(VENV_JAX)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_JAX)/bin/python -m pip install --quiet -e ".[test,jax]"
	touch $@

$(VENV_TORCH)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV_TORCH)
	$(VENV_TORCH)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_TORCH)/bin/python -m pip install --quiet -e ".[test,torch]"
	touch $@

test-jax: $(VENV_JAX)/.installed
	KERAS_BACKEND=jax $(VENV_JAX)/bin/python -m pytest -q tests/test_backends.py tests/test_training_device.py \
		"tests/test_epoch_selection.py::test_recording_changes_neither_the_weights_nor_the_predictions" \
		"tests/test_fold_parallel.py::test_each_fold_trains_on_its_own_samples_to_the_weights_of_model_fit" \
		"tests/test_fold_parallel.py::test_folds_trained_together_give_the_sequential_predictions_and_histories"

test-torch: $(VENV_TORCH)/.installed
	KERAS_BACKEND=torch $(VENV_TORCH)/bin/python -m pytest -q tests/test_backends.py tests/test_training_device.py

bench: $(STAMP)
	$(PY) benchmarks/run_all_benchmarks.py

# On a GPU machine: every model's throughput (fit and device paths), a short paper-profile run of each
# paper with WORKERS processes on the card, measured against projected (benchmarks/gpu_check.py). DATA_ROOT: the
# corpus of those runs (the mirror corpus); without it the script says so in one line.
# GPU_PY: the venv with that machine's backend, e.g. GPU_PY=.venv-jax/bin/python KERAS_BACKEND=jax.
# RELEASED (default: MERSUITE_RELEASED): the authors' released inputs; then also wang2024's whole paper run on
# them, HTNet's honest composite number. Its five points come from the Keras MTCNN (the `mtcnn` dependency, which
# needs TensorFlow) or, on a card without TensorFlow, from the stage cache (benchmarks/gpu_check.py --fill-points).
# Each finished fold is shipped into docs/predictions/wang2024-paper-seed0.folds/ as it finishes, and a run resumes
# from the folds shipped there (a lent card's bounded run of it: benchmarks/gpu_htnet.sh).
GPU_PY  ?= $(PY)
WORKERS ?= 4
RELEASED ?= $(MERSUITE_RELEASED)
gpu-check:
	$(GPU_PY) benchmarks/gpu_check.py $(if $(DATA_ROOT),--data-root $(DATA_ROOT)) --workers $(WORKERS) \
		$(if $(RELEASED),--released $(RELEASED))

clean-venv:
	rm -rf $(VENV) $(VENV_JAX) $(VENV_TORCH)

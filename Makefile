# Engage: the two commands a new machine needs are `make run` and `make test`.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/pip install --quiet --disable-pip-version-check
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test lint typecheck unit eval clean sysdeps bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)

# The service alone: what `make run` needs.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e .
	@touch $@

# llama-cpp-python (extra llm-local, for the real-server test) is an sdist: the first install
# builds it (≈ 8 min on 2 cores), for any x86-64 CPU with AVX2 (not -march=native); pip caches
# the wheel, so later installs take seconds. `timeout` bounds a build that hangs.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF

# Tests and eval: dev tools, and torch pinned first (the CPU build on disk, not a CUDA download).
$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) torch==2.13.0
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" timeout 1800 $(PIP) -e '.[dev,eval,llm-local]'
	@touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/python -m agent.demo

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

unit: $(TEST_STAMP)
	$(BIN)/pytest -q

# System packages the tests use (speech synthesis for the audio tests, headless Chromium for the
# dashboard's screenshot test); installed once, as root.
SYSDEPS := espeak-ng sox chromium
sysdeps:
	@missing=""; for p in $(SYSDEPS); do command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SYSDEPS) >/dev/null; \
	fi

test: sysdeps lint typecheck unit

# Every figure in one table, each beside its limit or the last run (benchmarks/baseline.json).
bench: sysdeps $(RUN_STAMP)
	$(BIN)/python -m benchmarks.run_all

eval: $(TEST_STAMP)
	$(BIN)/engage eval eval/datasets/calls.jsonl --html eval/report.html

clean:
	rm -rf $(VENV) .engage .mypy_cache .pytest_cache .ruff_cache

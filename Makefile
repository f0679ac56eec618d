# The two commands of README.md: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-all fuzz lint bench fixtures clean bytecode

RUNTIME := $(VENV)/.runtime

# `make demo` needs only the package (about 400 MB with pandas, pyarrow and scipy); the tests need the dev
# extra as well (pyspark, playwright, great-expectations: over 1 GB), installed on first `make test`.
$(RUNTIME): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(RUNTIME)

$(STAMP): $(RUNTIME)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The package's bytecode, brought up to date before each command (0.1 s when it is): an editable install
# leaves none, and where PYTHONDONTWRITEBYTECODE is set (CI images, many containers) Python would otherwise
# compile the auditor's ~190 modules again in every process, 0.27 CPU s of each run's start-up.
bytecode: $(RUNTIME)
	$(BIN)/python -m compileall -q auditor > /dev/null

demo: bytecode
	$(BIN)/crm-audit audit fixtures/acme --out build/demo; rc=$$?; \
	  echo "gate exit code: $$rc (0 pass, 1 fail); open build/demo/report.html; worklist in build/demo/worklist.xlsx"; \
	  test $$rc -le 1

test: $(STAMP) bytecode
	$(BIN)/ruff check auditor tests benchmarks
	$(BIN)/ruff format --check auditor tests benchmarks
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q

test-all: $(STAMP) bytecode
	CRM_AUDIT_FULL_EXAMPLES=1 $(BIN)/python -m pytest -q -m ''

# The bounded fuzz campaign (tests/fuzz, seeded): generated exports through the readers, `check` and `audit`;
# then the heaviest hypothesis oracles with all their examples (`make test` tries a quarter: tests/oracle_examples.py).
fuzz: $(STAMP) bytecode
	$(BIN)/python -m pytest -q -m fuzz tests/fuzz
	CRM_AUDIT_FULL_EXAMPLES=1 $(BIN)/python -m pytest -q -m full_examples

lint: $(STAMP)
	$(BIN)/ruff check auditor tests benchmarks
	$(BIN)/ruff format --check auditor tests benchmarks
	$(BIN)/lint-imports --no-cache

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,ge]'
	$(BIN)/python benchmarks/bench_checks.py

fixtures: $(STAMP)
	$(BIN)/crm-audit synth --rows 2000 --seed 7 --out fixtures/acme

clean:
	rm -rf build .pytest_cache

# Duplicate-detection benchmark beside Splink: its own venv, so that the bench extras (recordlinkage
# needs pandas < 3) never touch .venv. ARGS is passed on (e.g. ARGS='--quick' or '--only synth1m').
BENCH_VENV := .venv-bench
.PHONY: bench-dedupe bench-dedupe-realworld
$(BENCH_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(BENCH_VENV)/bin/python -m pip install --quiet -e '.[dev,bench]'
	touch $@

bench-dedupe: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python benchmarks/bench_dedupe.py $(ARGS)

# The same beside Splink and recordlinkage on the real-world sets of ../shared/datasets (e.g. ARGS='--sets patstat').
bench-dedupe-realworld: $(BENCH_VENV)/.installed
	$(BENCH_VENV)/bin/python benchmarks/bench_dedupe_realworld.py $(ARGS)

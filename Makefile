# liverec: every target creates or reuses .venv itself, so a fresh clone needs only python3 and make.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EMULATOR_PORT ?= 9100

.PHONY: venv run test lint format emulator package invoke-local bench bench-smoke clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The functions behind a local gateway on 127.0.0.1:3000 with the embedded emulator; ARGS=--once replays
# the samples and exits.
run: $(STAMP)
	$(PY) -m devtools.run $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# The deployable artifact, built offline with the pinned Serverless v3 (npm), then checked: handlers
# present; tests, local tooling, node_modules and boto3/botocore absent.
export SLS_TELEMETRY_DISABLED := 1
export SLS_NOTIFICATIONS_MODE := off
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

package: $(STAMP) node_modules/.installed
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npx serverless package
	$(PY) -m devtools.check_package .serverless/liverec.zip

# Each events/ sample through `serverless invoke local` against the emulator.
invoke-local: $(STAMP) node_modules/.installed
	bash devtools/invoke_local.sh

# Benchmarks (bench/): package size, cold start, warm overhead, rollout at the rate limit, a week of ticks,
# duplicate storm. `bench` writes bench/RESULTS.md and results.json (~10 minutes, loopback only; its first
# run builds the plain bundle the naive stack runs on, from PyPI, and keeps it in ~/.cache/liverec-bench);
# `bench-smoke` runs each at tiny sizes and writes nothing (CI: so they cannot rot; no time is asserted).
# The plain bundle's size is recorded in bench/baseline.json, re-measured only on demand:
#   .venv/bin/python -m bench.package_size --remeasure-baseline
bench: $(STAMP) node_modules/.installed
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m bench.run

bench-smoke: $(STAMP) node_modules/.installed
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m bench.run --smoke

emulator: $(STAMP)
	$(PY) -m devtools.emulator --host 127.0.0.1 --port $(EMULATOR_PORT)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis node_modules .serverless

# liverec: every target creates or reuses .venv itself, so a fresh clone needs only python3 and make.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EMULATOR_PORT ?= 9100

.PHONY: venv runtime-venv test-python lock run openapi contract test week test-dates month lint format emulator package invoke-local offline offline-check bench bench-smoke clean lint-template check-template

venv: $(STAMP)

# the locked development set (requirements/dev.txt, exactly), then the project itself, editable
$(STAMP): pyproject.toml requirements/dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# The functions' Python, serverless.yml's provider.runtime (devtools/runtime.py), in a venv of its own with the
# same locked set: packaging fetches the wheels and compiles the bytecode with it, check_package serves the
# samples with it, invoke-local and offline run the handlers with it. devtools/find_python.sh finds the
# interpreter (pythonX.Y on PATH, else pyenv's); RUNTIME_PYTHON=/path/to/python3.13 names one.
RUNTIME_VERSION := $(shell $(PYTHON) -m devtools.runtime)
RUNTIME_VENV ?= .venv-$(RUNTIME_VERSION)
RUNTIME_STAMP := $(RUNTIME_VENV)/.installed
RUNTIME_PATH := PATH="$(CURDIR)/$(RUNTIME_VENV)/bin:$$PATH"
runtime-venv: $(RUNTIME_STAMP)
ifneq ($(RUNTIME_VENV),$(VENV))
$(RUNTIME_STAMP): pyproject.toml requirements/dev.txt
	$(MAKE) --no-print-directory venv VENV=$(RUNTIME_VENV) PYTHON="$${RUNTIME_PYTHON:-$$(bash devtools/find_python.sh $(RUNTIME_VERSION))}"
endif

# The suite (without the simulated week, which make test adds) on another Python, in .venv-<V>: CI runs it
# on 3.12 and the runtime's 3.13, beside make test on the floor, 3.11. V=3.12 make test-python
test-python:
	@test -n "$(V)" || { echo "say which Python: make test-python V=3.12"; exit 2; }
	$(MAKE) --no-print-directory venv VENV=.venv-$(V) PYTHON="$$(bash devtools/find_python.sh $(V))"
	.venv-$(V)/bin/python -m pytest -q --ignore=$(WEEK)

# The locks, from pyproject.toml, by uv (pinned in the dev dependencies): requirements/runtime.txt, what the
# artifact installs (with every distribution's hash; `make package` installs it with --require-hashes),
# resolved for Lambda's Python and platform whatever machine runs this; requirements/dev.txt, what make venv
# installs, for any platform, at the runtime lock's versions. Pins still allowed by pyproject.toml are kept;
# UPGRADE=1 moves everything to the newest allowed. LOCK_PYTHON follows serverless.yml's runtime (a test checks).
LOCK_PYTHON ?= $(RUNTIME_VERSION)
# the development lock is for every Python the project supports: resolved from pyproject's floor
DEV_LOCK_PYTHON ?= 3.11
LOCK_PLATFORM ?= x86_64-manylinux2014
lock: $(STAMP)
	$(VENV)/bin/uv pip compile --quiet pyproject.toml --python-version $(LOCK_PYTHON) --python-platform $(LOCK_PLATFORM) --generate-hashes $(if $(UPGRADE),--upgrade) -o requirements/runtime.txt
	$(VENV)/bin/uv pip compile --quiet pyproject.toml --extra dev --universal --python-version $(DEV_LOCK_PYTHON) -c requirements/runtime.txt $(if $(UPGRADE),--upgrade) -o requirements/dev.txt

# The functions behind a local gateway on 127.0.0.1:3000 (PORT=3001 chooses another) with the embedded
# emulator; ARGS=--once replays the samples and exits; ARGS=--real talks to Tencent with your credentials.
run: $(STAMP)
	$(PY) -m devtools.run $(if $(PORT),--port $(PORT)) $(ARGS)

# openapi.json (the published contract) from the functions' resolvers; a test fails when it is stale
openapi: $(STAMP)
	$(PY) -m devtools.openapi

# schemathesis (pinned) against the local gateway and the emulator, both on free loopback ports and stopped
# at the end, with openapi.json: a fixed seed, bounded examples per operation, about a minute. Known failures
# are in devtools/contract-baseline.json, each with its reason; ARGS='-- <schemathesis options>' passes more.
contract: $(STAMP)
	$(PY) -m devtools.contract $(ARGS)

# the suite, then the simulated week of timer ticks (12 runs: four generations, three cadences) on both
# cores with pytest-xdist: alone it is most of the suite's time (the plugins it has no use for left unloaded)
test: $(STAMP)
	$(PY) -m pytest -q --ignore=$(WEEK)
	$(MAKE) --no-print-directory week

WEEK := tests/functional/test_week.py
week: $(STAMP)
	$(PY) -m pytest -q -n 2 --durations=3 -p no:schemathesis -p no:hypothesispytest -p no:anyio $(WEEK)

# the tests marked `dates` and a shortened simulated week (3 days, every 30 min) at each awkward instant
# (a weekend, Sunday night in China, Friday's last seconds, both US DST changes, the leap day, the year end,
# the 32-bit rollover), every process of each run at that instant (devtools/fakenow.py, libfaketime) and
# under another machine zone; ONLY=leap-day,year-end runs some. A run at any instant of your choosing:
#   .venv/bin/python -m devtools.fakenow 2027-03-14T06:59:00Z -- make test
test-dates: $(STAMP)
	$(PY) -m devtools.dates $(if $(ONLY),--only $(ONLY))

# a month of timer ticks in every generation (devtools/month.py): each tick a fresh container (forked from a
# server that imported the functions and built nothing), every 3 hours, DynamoDB on moto's server, seeded
# kill -9, Tencent and DynamoDB faults, programs added, replaced and cancelled over HTTP, one-offs on their
# windows; the four generations at once, a few minutes on 2 cores. Prints per generation what was expected,
# booked, duplicated, missed (in doubt, without a clean chance, silent) and left behind; fails on a duplicate,
# a silent miss or a leftover. SEED=n replays other decisions; ARGS='--days 7 --only fcgi' passes more.
month: $(STAMP)
	$(PY) -m devtools.month $(if $(SEED),--seed $(SEED)) $(ARGS)

# the virtual environments are left out whatever their names (VENV=..., .venv-3.13): ruff's own exclusions know
# only .venv and venv
lint: $(STAMP)
	$(PY) -m ruff check --extend-exclude "$(VENV),.venv-*" .
	$(PY) -m ruff format --check --extend-exclude "$(VENV),.venv-*" .
	$(PY) -m mypy

format: $(STAMP)
	$(PY) -m ruff format --extend-exclude "$(VENV),.venv-*" .
	$(PY) -m ruff check --fix --extend-exclude "$(VENV),.venv-*" .

# The deployable artifact, built offline with the pinned osls 4 (npm), then checked: handlers
# present; tests, local tooling, node_modules and boto3/botocore absent.
export SLS_TELEMETRY_DISABLED := 1
export SLS_NOTIFICATIONS_MODE := off
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

package: $(RUNTIME_STAMP) node_modules/.installed
	$(RUNTIME_PATH) npx serverless package
	$(RUNTIME_VENV)/bin/python -m devtools.check_package .serverless/liverec.zip

# The template linters (cfn-lint + the Serverless rules, pinned), in a venv of their own: CI starts clean.
CFN_VENV ?= .venv-cfn-lint
CFN_STAMP := $(CFN_VENV)/.installed
$(CFN_STAMP): devtools/cfn-lint-requirements.txt
	$(PYTHON) -m venv $(CFN_VENV)
	$(CFN_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CFN_VENV)/bin/python -m pip install --quiet -r devtools/cfn-lint-requirements.txt
	touch $@

# cfn-lint with the Serverless rules (.cfnlintrc: every finding counts, each suppression says why) on the
# template `make package` wrote.
lint-template: $(CFN_STAMP)
	@test -f .serverless/cloudformation-template-update-stack.json || { echo "no packaged template: run make package first"; exit 2; }
	$(CFN_VENV)/bin/cfn-lint -- .serverless/cloudformation-template-update-stack.json

# `serverless package --stage prod` (in a temporary copy) with every secret exported and every option on:
# no secret value in the template, the zip or the output, secrets only as references; cfn-lint on it too.
check-template: $(RUNTIME_STAMP) $(CFN_STAMP) node_modules/.installed
	$(RUNTIME_VENV)/bin/python -m devtools.check_template --cfn-lint $(CFN_VENV)/bin/cfn-lint

# Each events/ sample through `serverless invoke local` against the emulator.
invoke-local: $(STAMP) $(RUNTIME_STAMP) node_modules/.installed
	RUNTIME_VENV=$(RUNTIME_VENV) bash devtools/invoke_local.sh

# Benchmarks (bench/): package size, cold start, cold start on python3.11 against the runtime's, warm
# overhead, rollout at the rate limit, a week of ticks, duplicate storm, programs, the outbound HTTP client (http1 against http.client and, if installed, h11),
# value types (defining and building a record, a named tuple, a dataclass, a __slots__ class).
# Run with the runtime's Python (the artifact's bytecode and native code are for it).
# `bench` writes bench/RESULTS.md and results.json (~10 minutes, loopback only; its first
# run builds the plain bundle the naive stack runs on, from PyPI, and keeps it in ~/.cache/liverec-bench);
# `bench-smoke` runs each at tiny sizes and writes nothing (CI: so they cannot rot; no time is asserted).
# The plain bundle's size is recorded in bench/baseline.json, re-measured only on demand:
#   .venv/bin/python -m bench.package_size --remeasure-baseline
bench: $(RUNTIME_STAMP) node_modules/.installed
	$(RUNTIME_PATH) $(RUNTIME_VENV)/bin/python -m bench.run

bench-smoke: $(RUNTIME_STAMP) node_modules/.installed
	$(RUNTIME_PATH) $(RUNTIME_VENV)/bin/python -m bench.run --smoke

# serverless.yml's HTTP routes under serverless-offline 14.x, against the emulator (PORT, default 3000)
offline: $(STAMP) $(RUNTIME_STAMP) node_modules/.installed
	RUNTIME_VENV=$(RUNTIME_VENV) bash devtools/offline.sh

offline-check: $(STAMP) $(RUNTIME_STAMP) node_modules/.installed
	RUNTIME_VENV=$(RUNTIME_VENV) bash devtools/offline.sh --check

emulator: $(STAMP)
	$(PY) -m devtools.emulator --host 127.0.0.1 --port $(EMULATOR_PORT)

clean:
	rm -rf $(VENV) $(CFN_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .schemathesis node_modules .serverless

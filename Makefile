# liverec: every target creates or reuses .venv itself, so a fresh clone needs only python3 and make.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
EMULATOR_PORT ?= 9100

.PHONY: venv run openapi contract test week test-dates month lint format emulator package invoke-local offline offline-check bench bench-smoke clean lint-template check-template

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

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
check-template: $(STAMP) $(CFN_STAMP) node_modules/.installed
	$(PY) -m devtools.check_template --cfn-lint $(CFN_VENV)/bin/cfn-lint

# Each events/ sample through `serverless invoke local` against the emulator.
invoke-local: $(STAMP) node_modules/.installed
	bash devtools/invoke_local.sh

# Benchmarks (bench/): package size, cold start, warm overhead, rollout at the rate limit, a week of ticks,
# duplicate storm, programs, the outbound HTTP client (http1 against http.client and, if installed, h11).
# `bench` writes bench/RESULTS.md and results.json (~10 minutes, loopback only; its first
# run builds the plain bundle the naive stack runs on, from PyPI, and keeps it in ~/.cache/liverec-bench);
# `bench-smoke` runs each at tiny sizes and writes nothing (CI: so they cannot rot; no time is asserted).
# The plain bundle's size is recorded in bench/baseline.json, re-measured only on demand:
#   .venv/bin/python -m bench.package_size --remeasure-baseline
bench: $(STAMP) node_modules/.installed
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m bench.run

bench-smoke: $(STAMP) node_modules/.installed
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m bench.run --smoke

# serverless.yml's HTTP routes under serverless-offline 13.x, against the emulator (PORT, default 3000)
offline: $(STAMP) node_modules/.installed
	bash devtools/offline.sh

offline-check: $(STAMP) node_modules/.installed
	bash devtools/offline.sh --check

emulator: $(STAMP)
	$(PY) -m devtools.emulator --host 127.0.0.1 --port $(EMULATOR_PORT)

clean:
	rm -rf $(VENV) $(CFN_VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .schemathesis node_modules .serverless

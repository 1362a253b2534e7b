# The few commands a person types. `make run` and `make test` do all set-up.
SHELL := /bin/bash
# uv through pip when it is not on PATH
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
export UV
# the suite starts a hundred-odd Python processes (services, gunicorn, benches,
# fault tests): with bytecode caching off (this machine sets
# PYTHONDONTWRITEBYTECODE) each one compiles every module again — 4.1 s to import
# a service and the gateway against 1.4 s from the cache. Caches stay out of git.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test test-quorum test-fast bench soak lint migrate rabbit definitions asyncapi setup portal

setup:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

# `make run SIMULATE=1`: also start the cdpf/health/medical_insurance simulators
run: setup
	@SIMULATE="$(SIMULATE)" scripts/run.sh

test: setup portal
	@scripts/ensure-infra.sh --postgres --redis --chromium
	$(UV) run pytest

# the whole suite on quorum queues (what production runs, issue 20)
test-quorum: setup portal
	@scripts/ensure-infra.sh --postgres --redis --chromium
	DOUDI_QUEUE_TYPE=quorum $(UV) run pytest

# the staff portal's build (portal/dist), when its sources changed
portal:
	@scripts/build-portal.sh

# unit tests only: no broker, no database (a test that reaches one fails)
test-fast: setup
	DOUDI_TEST_FAST=1 $(UV) run pytest -q libs services departments

bench: setup
	@scripts/ensure-infra.sh --postgres
	$(UV) run python -m bench

# a few minutes of mixed load on the whole suite; prints RSS, fds, errors (issue 22)
soak: setup
	@scripts/ensure-infra.sh
	$(UV) run python -m bench.soak

# ruff, types over the rules, layering, sizes, repeated code (.ci/run runs it first)
lint: setup
	$(UV) run ruff check .
	$(UV) run mypy
	$(UV) run lint-imports
	$(UV) run python scripts/sizes.py
	@scripts/duplicates.sh

migrate: setup
	@for s in eligibility institutions funding services-log; do $(UV) run doudi-service migrate $$s; done

rabbit: setup
	@scripts/ensure-infra.sh
	$(UV) run doudi-rabbit apply --definitions deploy/rabbitmq/definitions.json

# regenerate committed artefacts after changing subscriptions or contracts
definitions: setup
	$(UV) run doudi-rabbit generate > deploy/rabbitmq/definitions.json

# nsaas developer entry points. Only Python 3.11+ and make are assumed: the first target that
# needs the environment bootstraps uv into .tools/ and the locked dependencies into .venv/.
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: run test lint types contracts ci bootstrap golden bench clean postgres browser chaos

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(BIN)/nsaas: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet
	@touch $@

bootstrap: $(BIN)/nsaas

## make run: the whole platform (API, worker, UI, embedded cluster simulator, SQLite, dev login)
run: bootstrap
	$(BIN)/nsaas dev

## make test: the fast tiers (unit, golden, services, api, db, sim, kube, ui, auth, engine, deploy);
## tests marked slow (see pyproject) and browser tests are left to make ci; PostgreSQL is skipped when absent
test: bootstrap
	$(BIN)/pytest -q -m "not slow and not browser"

lint: bootstrap
	$(BIN)/ruff check src tests bench scripts
	$(BIN)/ruff format --check src tests bench scripts

types: bootstrap
	$(BIN)/mypy

contracts: bootstrap
	$(BIN)/lint-imports

## make ci: lint, types, import contracts and the full suite, PostgreSQL and browser tests required
ci: bootstrap lint types contracts
	NSAAS_REQUIRE_POSTGRES=1 NSAAS_REQUIRE_BROWSER=1 NSAAS_REQUIRE_KUBECTL=1 NSAAS_REQUIRE_PROMTOOL=1 $(BIN)/pytest -q -p no:cacheprovider

## make chaos: the multi-process fault run (its own PostgreSQL, the simulator, 2 API replicas and 2 workers;
## kills, a database stop/start and cluster faults) printing a table; fails on any loss, duplicate or orphan
chaos: bootstrap
	$(BIN)/python -m tests.chaos.run

golden: bootstrap
	NSAAS_REGENERATE_GOLDEN=1 $(BIN)/pytest -q tests/golden

## make bench: every benchmark, each printing a results table (see bench/README.md)
bench: bootstrap
	$(BIN)/python -m bench.sim_writes
	$(BIN)/python -m bench.api_load
	$(BIN)/python -m bench.provisioning

clean:
	rm -rf .venv .tools .nsaas .pytest_cache .mypy_cache .ruff_cache

## make deploy-validate: offline validation of deploy/ (kustomize builds, schemas, pod security,
## secret refs, RBAC, metric names, runbooks, promtool); installs promtool (Debian `prometheus`) if missing
deploy-validate: bootstrap
	@command -v promtool >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; }
	./deploy/validate-production-stack.sh

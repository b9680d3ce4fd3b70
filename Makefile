# nsaas developer entry points. Only Python 3.11+ and make are assumed: the first target that
# needs the environment bootstraps uv into .tools/ and the locked dependencies into .venv/.
PYTHON ?= python3
UV_VERSION := 0.13.8
UV := .tools/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PROJECT_ENVIRONMENT := $(VENV)

# The real tier's control plane (testenv/, a Go module) needs Go 1.25+: from PATH, else where the
# machine's toolchain lives.
GO ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
TESTENV := .tools/kube-testenv
# The API server reports the Kubernetes release it was built from (kubectl and clients check it).
KUBE_VERSION := $(shell awk '$$1 == "k8s.io/kubernetes" {print $$2; exit}' testenv/go.mod)
KUBE_MINOR := $(word 2,$(subst ., ,$(KUBE_VERSION)))
TESTENV_LDFLAGS := -X k8s.io/component-base/version.gitVersion=$(KUBE_VERSION) \
	-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(KUBE_MINOR) \
	-X k8s.io/component-base/version.gitTreeState=clean

.PHONY: run test test-real testenv lint types contracts secrets ci bootstrap golden bench clean postgres browser screenshots chaos

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

## make test: the fast tiers (unit, golden, services, api, db, sim, kube, ui, auth, engine, deploy), one
## pytest-xdist worker per core; tests marked slow (see pyproject), browser and real-cluster tests are
## left to make ci; PostgreSQL is skipped when absent
test: bootstrap
	$(BIN)/pytest -q -n auto -m "not slow and not browser and not real"

## make testenv: build .tools/kube-testenv (etcd, kube-apiserver, kube-controller-manager from Go modules)
testenv: $(TESTENV)

$(TESTENV): testenv/go.mod testenv/go.sum $(wildcard testenv/*.go)
	@test -x "$(GO)" || { echo "make testenv needs Go 1.25+ on PATH or at /usr/local/go/bin/go"; exit 1; }
	@mkdir -p .tools
	cd testenv && nice -n 10 "$(GO)" build -buildvcs=false -ldflags "$(TESTENV_LDFLAGS)" -o ../$(TESTENV) .

## make test-real: the real tier against the testenv control plane (a skip there is a failure)
test-real: bootstrap testenv
	NSAAS_REQUIRE_KUBECTL=1 $(BIN)/pytest -q -p no:cacheprovider -m real

lint: bootstrap
	$(BIN)/ruff check src tests bench scripts examples
	$(BIN)/ruff format --check src tests bench scripts examples

types: bootstrap
	$(BIN)/mypy

contracts: bootstrap
	$(BIN)/lint-imports

## make secrets: no committed secret outside the reviewed .secrets.baseline (detect-secrets)
secrets: bootstrap
	./scripts/scan-secrets.sh

## make ci: lint, types, import contracts, the secret scan and the full suite including the real tier;
## PostgreSQL, browser and the real control plane required
ci: bootstrap lint types contracts secrets testenv
	NSAAS_REQUIRE_POSTGRES=1 NSAAS_REQUIRE_BROWSER=1 NSAAS_REQUIRE_KUBECTL=1 NSAAS_REQUIRE_PROMTOOL=1 $(BIN)/pytest -q -p no:cacheprovider

## make screenshots: every page state at 1280 and 390 px in light and dark mode, with axe-core run on
## each; PNGs in test-artifacts/ui/screenshots, axe results in test-artifacts/ui/axe (both git-ignored)
screenshots: bootstrap
	NSAAS_REQUIRE_BROWSER=1 $(BIN)/pytest -q -s -p no:cacheprovider tests/ui/browser/test_accessibility.py

## make chaos: the multi-process fault run (its own PostgreSQL, the simulator, 2 API replicas and 2 workers;
## kills, a database stop/start and cluster faults) printing a table; fails on any loss, duplicate or orphan
chaos: bootstrap
	$(BIN)/python -m tests.chaos.run

golden: bootstrap
	NSAAS_REGENERATE_GOLDEN=1 $(BIN)/pytest -q tests/golden

## make bench: every benchmark, each printing a results table (see bench/README.md); api_load and
## provisioning measure PostgreSQL: NSAAS_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
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

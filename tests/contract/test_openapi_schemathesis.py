"""Schemathesis against our own OpenAPI: generated requests never cause a 5xx, answers match the schema.

The Platform API runs as a real ``nsaas api`` process (dev tokens, SQLite, the simulator as its
cluster) and is called over HTTP as a platform admin, so every route is reachable. Streaming
routes (SSE) are left out: they never end, which a request/response checker cannot judge.
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks as core_checks
from schemathesis.specs.openapi import checks

from nsaas import config
from nsaas.adapters.auth import dev
from tests.support.platform import free_port

#: ~500 generated calls against a live server take minutes on a busy machine: make ci runs them.
pytestmark = pytest.mark.slow

HEADERS: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(kubeconfig_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    work = tmp_path_factory.mktemp("contract")
    port = free_port()
    env = {
        **os.environ,
        "NSAAS_AUTH_MODE": "dev",
        "NSAAS_DATA_DIR": str(work),
        "NSAAS_KUBECONFIG": str(kubeconfig_path),
        "NSAAS_LOG_LEVEL": "WARNING",
        "NSAAS_AUTH__CREATE_LIMIT": "100000",
        "NSAAS_AUTH__RATE_LIMIT_PER_MINUTE": "1000000",
        "NSAAS_POLICY__TEAM_NAMESPACE_CAP": "100000",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "nsaas.cli.main", "api", "--host", "127.0.0.1", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        schema = schemathesis.openapi.from_url(f"http://127.0.0.1:{port}/api/openapi.json", wait_for_schema=180)
        token = dev.DevSigner.load_or_create(config.Settings(auth_mode="dev", data_dir=work)).token_for(
            "platform-admin"
        )
        HEADERS["Authorization"] = f"Bearer {token}"
        yield schema.exclude(path_regex=r"/events$")
    finally:
        server.terminate()
        server.wait(timeout=30)


CHECKS = [
    core_checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


def test_generated_requests_never_break_the_api(api_schema: schemathesis.BaseSchema) -> None:
    """Each operation gets generated cases; every failure is collected so one run names them all."""
    failures: dict[str, str] = {}
    statuses: collections.Counter[int] = collections.Counter()
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def exercise(case: schemathesis.Case) -> None:
            response = case.call_and_validate(headers=HEADERS, checks=CHECKS, timeout=30)
            statuses[response.status_code // 100] += 1

        try:
            exercise()
        except Exception as exc:
            failures[f"{operation.method.upper()} {operation.path}"] = str(exc)[:2000]
    assert operations >= 20
    assert statuses[2] >= 20, f"too few successful calls to mean anything: {dict(statuses)}"
    assert not failures, "\n\n".join(f"{op}:\n{text}" for op, text in failures.items())

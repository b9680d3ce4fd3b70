"""Fixtures of the real tier: the testenv's admin, kubectl against it, the platform's own identity
made from the real deploy files, the guardrail policy applied from ``deploy/guardrails``, and
``nsaas dev --kubeconfig`` (API and worker) running against the real control plane.

Every module here sets ``pytestmark = pytest.mark.real``; a skip in it is a failure (see
``tests/support/testenv.py``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from lightkube import AsyncClient, KubeConfig

from nsaas.adapters.db import database as db_module
from tests.support import db
from tests.support.platform import free_port
from tests.support.testenv import ROOT, RealCluster

DEPLOY = ROOT / "deploy"
PLATFORM_NAMESPACE = "platform-system"
PLATFORM_SERVICE_ACCOUNT = "platform-api"
NSAAS = [sys.executable, "-m", "nsaas.cli.main"]


def kubectl(
    kubeconfig: Path, *args: str, stdin: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run kubectl against ``kubeconfig``; with ``check`` a non-zero exit fails the test with its output."""
    done = subprocess.run(
        ["kubectl", "--kubeconfig", str(kubeconfig), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check and done.returncode != 0:
        pytest.fail(f"kubectl {' '.join(args)} failed ({done.returncode}): {done.stderr}{done.stdout}")
    return done


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[db_module.Database]:
    """SQLite only: what this tier tests is the cluster side; both dialects are covered elsewhere."""
    database = db_module.Database.create(db.sqlite_url(tmp_path))
    await database.upgrade()
    yield database
    await database.dispose()


@pytest.fixture
async def admin(real_kubeconfig: Path) -> AsyncIterator[AsyncClient]:
    """A cluster-admin (system:masters) lightkube client, acting out of band."""
    client = AsyncClient(KubeConfig.from_file(str(real_kubeconfig)).get(), field_manager="test-admin")
    yield client
    await client.aclose()


def token_kubeconfig(admin_kubeconfig: Path, token: str, path: Path, *, user: str) -> Path:
    """A kubeconfig for the same server and CA as the admin's, authenticating with a bearer token."""
    config = yaml.safe_load(admin_kubeconfig.read_text())
    cluster = config["clusters"][0]
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [cluster],
                "users": [{"name": user, "user": {"token": token}}],
                "contexts": [{"name": user, "context": {"cluster": cluster["name"], "user": user}}],
                "current-context": user,
            }
        )
    )
    return path


def namespaces_used(docs: list[dict[str, Any]]) -> set[str]:
    """The namespaces objects are placed in (they must exist before the objects can be applied)."""
    return {doc["metadata"]["namespace"] for doc in docs if doc.get("metadata", {}).get("namespace")}


@pytest.fixture(scope="session")
def platform_kubeconfig(real_cluster: RealCluster) -> Path:
    """The worker's identity: the ServiceAccount of ``deploy/platform-api`` bound only to its
    ClusterRole and namespaced Roles, all applied from the real deploy files, and a token for it."""
    admin = real_cluster.kubeconfig
    names = ("serviceaccount.yaml", "clusterrole.yaml", "rbac-namespaced.yaml")
    files = [DEPLOY / "platform-api" / name for name in names]
    # Every namespace the files grant in (platform-system, velero, nsaas-requests, ...) must exist first.
    docs = [doc for path in files for doc in yaml.safe_load_all(path.read_text()) if doc]
    for namespace in sorted(namespaces_used(docs) | {PLATFORM_NAMESPACE, "velero"}):
        kubectl(admin, "create", "namespace", namespace, check=False)
    for path in files:
        kubectl(admin, "apply", "--server-side", "-f", str(path))
    token = kubectl(
        admin, "create", "token", PLATFORM_SERVICE_ACCOUNT, "-n", PLATFORM_NAMESPACE, "--duration=2h"
    ).stdout.strip()
    assert token.count(".") == 2, "expected a JWT from the TokenRequest API"
    return token_kubeconfig(admin, token, real_cluster.directory / "platform-api.kubeconfig", user="platform-api")


@pytest.fixture
def guardrails(real_kubeconfig: Path) -> Iterator[None]:
    """``deploy/guardrails`` applied (kustomize, server-side), removed afterwards (break-glass)."""
    kubectl(real_kubeconfig, "apply", "--server-side", "-k", str(DEPLOY / "guardrails"))
    try:
        yield
    finally:
        kubectl(real_kubeconfig, "delete", "-k", str(DEPLOY / "guardrails"), "--wait=true")


@dataclass(frozen=True)
class DevPlatform:
    """A running ``nsaas dev --kubeconfig`` (API, worker, UI) and the environment it was started with."""

    api: str
    ui: str
    env: dict[str, str]

    def token(self, persona: str) -> str:
        """A dev-login bearer token for ``persona``."""
        done = subprocess.run(
            [*NSAAS, "token", "--persona", persona], env=self.env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()


def _wait_for(url: str, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nsaas dev exited {process.returncode}: {process.communicate()[0][-3000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {seconds}s")


@pytest.fixture
def nsaas_dev(real_kubeconfig: Path, tmp_path: Path) -> Iterator[DevPlatform]:
    """``nsaas dev --kubeconfig`` against the real control plane (no simulator), stopped with SIGINT."""
    api_port, ui_port = free_port(), free_port()
    env = {**os.environ, "NSAAS_DATA_DIR": str(tmp_path), "NSAAS_AUTH_MODE": "dev"}
    process = subprocess.Popen(
        [*NSAAS, "dev", "--kubeconfig", str(real_kubeconfig), "--api-port", str(api_port), "--ui-port", str(ui_port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        dev = DevPlatform(api=f"http://127.0.0.1:{api_port}", ui=f"http://127.0.0.1:{ui_port}", env=env)
        _wait_for(f"{dev.api}/health", process)
        _wait_for(f"{dev.ui}/healthz", process)
        yield dev
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()

"""Fixtures of the real tier: the testenv's admin, kubectl against it, the platform's own identity
made from the real deploy files, and the guardrail policy applied from ``deploy/guardrails``.

Every module here sets ``pytestmark = pytest.mark.real``; a skip in it is a failure (see
``tests/support/testenv.py``).
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import yaml
from lightkube import AsyncClient, KubeConfig

from nsaas.adapters.db import database as db_module
from tests.support import db
from tests.support.testenv import ROOT, RealCluster

DEPLOY = ROOT / "deploy"
PLATFORM_NAMESPACE = "platform-system"
PLATFORM_SERVICE_ACCOUNT = "platform-api"


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


@pytest.fixture(scope="session")
def platform_kubeconfig(real_cluster: RealCluster) -> Path:
    """The worker's identity: the ServiceAccount of ``deploy/platform-api`` bound only to its
    ClusterRole and namespaced Roles, all applied from the real deploy files, and a token for it."""
    admin = real_cluster.kubeconfig
    for namespace in (PLATFORM_NAMESPACE, "velero"):
        kubectl(admin, "create", "namespace", namespace, check=False)
    for name in ("serviceaccount.yaml", "clusterrole.yaml", "rbac-namespaced.yaml"):
        kubectl(admin, "apply", "--server-side", "-f", str(DEPLOY / "platform-api" / name))
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

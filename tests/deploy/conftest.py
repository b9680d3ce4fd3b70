"""Fixtures for the deployment-stack tests: a writable copy of deploy/ (and the runbooks it links
to) in which a test plants one defect, and the prerequisites (kubectl, promtool) made explicit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support import requirements

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"


@pytest.fixture
def tools() -> None:
    requirements.need("kubectl", available=shutil.which("kubectl") is not None, reason="kubectl carries kustomize")
    requirements.need(
        "promtool", available=shutil.which("promtool") is not None, reason="promtool (Debian package prometheus)"
    )


@pytest.fixture
def deploy_copy(tmp_path: Path, tools: None) -> Path:
    shutil.copytree(DEPLOY, tmp_path / "deploy")
    shutil.copytree(REPO / "docs" / "runbooks", tmp_path / "docs" / "runbooks")
    return tmp_path / "deploy"

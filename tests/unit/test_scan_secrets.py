"""scripts/scan-secrets.sh passes the committed tree and fails a tree with a planted secret."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = REPO / ".venv" / "bin"


def _scan(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(root / "scripts" / "scan-secrets.sh")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "DETECT_SECRETS_BIN": str(BIN)},
        check=False,
        timeout=600,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    if shutil.which("git") is None or not (BIN / "detect-secrets-hook").exists():
        pytest.skip("needs git and the project's environment")
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "scan-secrets.sh", tmp_path / "scripts")
    (tmp_path / ".secrets.baseline").write_text((REPO / ".secrets.baseline").read_text())
    (tmp_path / "app.py").write_text("print('hello')\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    return tmp_path


@pytest.mark.slow
def test_the_committed_tree_has_no_secret_outside_the_baseline() -> None:
    if not (REPO / ".git").exists() or not (BIN / "detect-secrets-hook").exists():
        pytest.skip("needs a git checkout and the project's environment")
    result = _scan(REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_planted_secret_fails_the_scan(tree: Path) -> None:
    subprocess.run(["git", "add", "-A"], cwd=tree, check=True)
    assert _scan(tree).returncode == 0
    fake = "AKIA" + "QWERTYUIOPASDFGH"
    (tree / "settings.py").write_text(f'aws_access_key_id = "{fake}"\n')
    subprocess.run(["git", "add", "-A"], cwd=tree, check=True)
    result = _scan(tree)
    assert result.returncode == 1
    assert "settings.py" in result.stdout

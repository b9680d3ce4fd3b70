"""The production wheel (what the image installs) leaves the simulator and the dev kit out."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import zipfile

import pytest

#: A wheel build and three cold CLI starts: make ci runs them, make test leaves them out.
pytestmark = pytest.mark.slow
ROOT = pathlib.Path(__file__).resolve().parents[2]
UV = ROOT / ".tools" / "bin" / "uv"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    if not UV.exists():
        pytest.skip("uv is bootstrapped by make (.tools/bin/uv)")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([str(UV), "build", "--wheel", "-q", "-o", str(out), str(ROOT)], check=True, timeout=300)
    [built] = out.glob("nsaas-*.whl")
    return built


def test_the_wheel_holds_no_simulator_and_no_dev_kit(wheel: pathlib.Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert "nsaas/cli/main.py" in names
    assert "nsaas/reconcile/loop.py" in names
    assert not [n for n in names if n.startswith("nsaas/sim/") or n == "nsaas/devkit.py"]


def test_without_the_simulator_the_commands_still_work_and_nsaas_sim_says_why(
    wheel: pathlib.Path, tmp_path: pathlib.Path
) -> None:
    zipfile.ZipFile(wheel).extractall(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}  # ahead of the checkout's editable src/
    command = [sys.executable, "-m", "nsaas.cli.main"]
    helped = subprocess.run([*command, "--help"], check=False, env=env, capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0, helped.stderr
    for sub in ("sim", "dev"):
        refused = subprocess.run([*command, sub], check=False, env=env, capture_output=True, text=True, timeout=120)
        assert refused.returncode == 2, refused.stderr
        assert "simulator is a development and test tool" in refused.stderr

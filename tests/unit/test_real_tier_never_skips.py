"""The real tier cannot go green by skipping: a skip in a ``real`` test is reported as a failure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SAMPLE = """
import pytest

@pytest.mark.real
def test_real_but_skipped():
    pytest.skip("the CRD is not installed")

def test_ordinary_skip():
    pytest.skip("allowed outside the real tier")
"""


@pytest.mark.slow  # starts a second pytest process
def test_a_skip_in_the_real_tier_fails_and_elsewhere_stays_a_skip(tmp_path: Path) -> None:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "tests.support.testenv",
            "-p",
            "no:cacheprovider",
            "-o",
            "markers=real: real tier",
            str(tmp_path / "test_sample.py"),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 failed, 1 skipped" in done.stdout, done.stdout
    assert "FAILED test_sample.py::test_real_but_skipped - the real tier may not skip" in done.stdout

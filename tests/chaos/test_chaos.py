"""``make chaos``: the multi-process fault run must pass (about 2-3 minutes; ``make ci`` runs it).

It runs as its own process, exactly as ``make chaos`` does: the run keeps an event loop, a dozen
child processes and their clients busy for minutes, and nothing of that is left behind in the test
session (in-process, it left CPython 3.11's AST constructor failing for a later test's imports).
"""

from __future__ import annotations

import glob
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import requirements

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.chaos]
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(1200)
def test_the_platform_loses_and_duplicates_nothing_under_process_database_and_cluster_faults() -> None:
    requirements.need(
        "postgres",
        available=bool(glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        reason="the chaos run starts its own PostgreSQL server (Debian postgresql)",
    )
    run = subprocess.run(
        [sys.executable, "-m", "tests.chaos.run"], cwd=ROOT, capture_output=True, text=True, timeout=1150, check=False
    )
    print("\n" + run.stdout)
    assert run.returncode == 0, run.stdout + run.stderr[-4000:]
    assert "chaos: passed" in run.stdout

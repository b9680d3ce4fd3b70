"""``make chaos``: the multi-process fault run must pass (part of ``make ci``: about 3-5 minutes)."""

from __future__ import annotations

import glob

import pytest

from tests.chaos import run as chaos
from tests.support import requirements

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.mark.timeout(1200)
async def test_the_platform_loses_and_duplicates_nothing_under_process_database_and_cluster_faults(
    capsys: pytest.CaptureFixture[str],
) -> None:
    requirements.need(
        "postgres",
        available=bool(glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        reason="the chaos run starts its own PostgreSQL server (Debian postgresql)",
    )
    # Not pytest's tmp_path: its parents are private to root, and the PostgreSQL server runs as the
    # postgres user when the suite runs as root (initdb refuses root).
    with chaos.workdir() as root:
        outcome = await chaos.run(root)
    table = capsys.readouterr().out
    with capsys.disabled():
        print("\n" + table)
    assert outcome == 0, table

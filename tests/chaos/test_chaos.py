"""``make chaos``: the multi-process fault run must pass (part of ``make ci``: about 3-5 minutes)."""

from __future__ import annotations

import glob
from pathlib import Path

import pytest

from tests.chaos import run as chaos
from tests.support import requirements

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.mark.timeout(1200)
async def test_the_platform_loses_and_duplicates_nothing_under_process_database_and_cluster_faults(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    requirements.need(
        "postgres",
        available=bool(glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        reason="the chaos run starts its own PostgreSQL server (Debian postgresql)",
    )
    outcome = await chaos.run(tmp_path)
    table = capsys.readouterr().out
    with capsys.disabled():
        print("\n" + table)
    assert outcome == 0, table

"""The list's pages at 10,000 rows on PostgreSQL: read through the keyset index, never sorted in full.

``EXPLAIN`` of the exact statements the repository sends (first page and a page after a cursor,
every team and one team's view) after ``ANALYZE``, so the planner decides on real statistics.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import ClauseElement, Executable, insert, select, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler

from nsaas.adapters.db import database, repository, requests_sql, tables
from nsaas.domain import lifecycle
from tests.db import given

ROWS = 10_000
LIVE = sorted(lifecycle.LIVE)


class Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: Any) -> None:
        self.statement = statement


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan, *(n for child in plan.get("Plans", []) for n in _nodes(child))]


async def _plan(db: database.Database, query: Any) -> list[dict[str, Any]]:
    async with db.read() as conn:
        raw = (await conn.execute(Explain(query))).scalar_one()
    return _nodes((json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"])


@pytest.fixture
async def populated(database: database.Database, repository: repository.Repository) -> database.Database:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("query plans are checked on PostgreSQL, the production database")
    template = await given.create(repository, "template")
    async with database.read() as conn:
        row = dict((await conn.execute(select(tables.namespace_requests))).mappings().one())
    copies = [
        {
            **row,
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "name": f"ns-{i:05d}",
            "team": f"team-{i % 20}",
            "status": LIVE[i % len(LIVE)] if i % 10 else "deleted",
            "created_at": template.created_at - timedelta(seconds=i),
        }
        for i in range(ROWS)
    ]
    async with database.write() as conn:
        await conn.execute(insert(tables.namespace_requests), copies)
        await conn.execute(text("ANALYZE namespace_requests"))
    return database


@pytest.mark.parametrize("teams", [None, ["team-3"]], ids=["all-teams", "one-team"])
async def test_list_pages_use_the_keyset_index_without_a_sort(
    populated: database.Database, repository: repository.Repository, teams: list[str] | None
) -> None:
    conditions = requests_sql.filters(
        teams=teams, team=None, environment=None, status=LIVE, tier=None, name_contains=None
    )
    first = await repository.list_requests(teams=teams, status=LIVE, limit=50)
    assert first.total is not None
    assert first.total > 50
    assert first.next_cursor
    for cursor in (None, first.next_cursor):
        query = requests_sql.page_query(conditions, offset=0, limit=50, sort=None, cursor=cursor)
        nodes = await _plan(populated, query)
        kinds = [n["Node Type"] for n in nodes]
        assert not {"Sort", "Seq Scan"} & set(kinds), kinds
        scans = {n.get("Index Name") for n in nodes if "Index" in n["Node Type"]}
        expected = "ix_namespace_requests_team_created_id" if teams else "ix_namespace_requests_created_id"
        assert scans == {expected}, (scans, kinds)
    following = await repository.list_requests(teams=teams, status=LIVE, limit=50, cursor=first.next_cursor)
    assert following.total is None
    assert {r.id for r in following.items}.isdisjoint(r.id for r in first.items)
    assert following.next_cursor  # more than two pages at 10,000 rows

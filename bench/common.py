"""Shared pieces of the benchmarks: processes on loopback, percentiles and the results table.

Every benchmark starts what it measures as separate processes (simulator, API), drives them
from this process, and prints a Markdown table. Figures are measured in the run that prints
them; nothing is carried over from elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1]


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


@contextlib.contextmanager
def process(args: Sequence[str], *, env: dict[str, str], cpu: int | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``args`` (optionally pinned to one CPU) and stop it afterwards."""
    prefix = ["taskset", "-c", str(cpu)] if cpu is not None and _has_taskset() else []
    proc = subprocess.Popen([*prefix, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _has_taskset() -> bool:
    return any((Path(p) / "taskset").exists() for p in os.environ.get("PATH", "").split(":"))


def wait_http(url: str, *, timeout: float = 60.0, verify: bool | str = True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2, verify=verify).status_code < 500:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {timeout}s")


def wait_file(path: Path, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{path} did not appear in {timeout}s")
        time.sleep(0.1)


def nsaas() -> list[str]:
    return [sys.executable, "-m", "nsaas.cli.main"]


@contextlib.contextmanager
def scratch_database(server_url: str | None) -> Iterator[str | None]:
    """A fresh PostgreSQL database on ``server_url`` (dropped afterwards), or None for SQLite."""
    if not server_url:
        yield None
        return
    import asyncio
    import uuid

    import asyncpg
    from sqlalchemy import make_url

    admin = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"nsaas_bench_{uuid.uuid4().hex[:8]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def load() -> str:
    """The machine's load averages (``uptime``'s 1, 5 and 15 minutes), printed beside every table."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


async def copy_requests(database_url: str, *, like: str, count: int) -> None:
    """Add ``count`` requests to the table, copies of the request named ``like`` (own id, name, team, time).

    Only the database sees them (no namespace exists): they make list, count and dashboard queries
    read a table of realistic size. Eight in ten are ready, one deleted, one failed; twenty teams, fifty users.
    """
    import uuid
    from datetime import timedelta

    from sqlalchemy import insert, select
    from sqlalchemy.ext.asyncio import create_async_engine

    from nsaas.adapters.db import tables

    requests = tables.namespace_requests
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            template = dict((await conn.execute(select(requests).where(requests.c.name == like))).mappings().one())
            statuses = ["ready"] * 8 + ["deleted", "failed"]
            for start in range(0, count, 2000):
                batch = [
                    {
                        **template,
                        "id": str(uuid.uuid4()),
                        "name": f"copy-{i:06d}",
                        "team": f"copy-team-{i % 20}",
                        # Not the benchmark's own user: its per-user create limit counts recent requests.
                        "requested_by": f"copy-user-{i % 50}@example.com",
                        "status": statuses[i % len(statuses)],
                        "created_at": template["created_at"] - timedelta(seconds=i + 1),
                    }
                    for i in range(start, min(start + 2000, count))
                ]
                await conn.execute(insert(requests), batch)
            await conn.exec_driver_sql("ANALYZE namespace_requests")
    finally:
        await engine.dispose()

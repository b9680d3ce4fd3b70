"""API latency under a fixed request rate: list, get and create with real tokens, beside a bare endpoint.

Open-loop load: requests are started on a fixed schedule (``--rate`` per second) whatever the
server's latency, so queueing shows up in the percentiles instead of lowering the rate. The
Platform API (``nsaas api``, dev tokens, PostgreSQL or SQLite) and a bare FastAPI app (one
handler returning a constant) run as separate uvicorn processes pinned to the same CPU, and
are measured in the same run, so the ratio between them is what the platform's own work costs.

The database is PostgreSQL (``--postgres URL`` or ``NSAAS_BENCH_POSTGRES_URL``; the script
creates and drops a scratch database) and holds ``--rows`` requests (default 10,000: copies of a
real request row with their own ids, names, teams and times) so list and dashboard read a
realistic table; without a server it stops with a message instead of measuring SQLite. The
detail case reads a namespace a worker really provisioned (the worker stops before measuring).
``achieved/s`` is completed requests divided by the wall time from the first start to the last
completion, so a server that falls behind shows a rate below the offered one.

Target (issue 4): p95 below 25 ms for reads at 200 requests/s on PostgreSQL.
Run: ``python -m bench.api_load --rate 200 --seconds 10 --postgres URL [--rows 10000]``
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench import common
from nsaas import config
from nsaas.adapters.auth import dev as dev_auth

BARE_APP = """
from fastapi import FastAPI
app = FastAPI()

@app.get("/bare")
async def bare() -> dict[str, object]:
    return {"success": True, "data": {"items": []}}
"""


async def _load(
    client: httpx.AsyncClient, make: Callable[[int], tuple[str, str, Any]], *, rate: float, seconds: float
) -> tuple[list[float], int, float]:
    """Latencies, errors and the wall seconds from the first start to the last completion."""
    latencies: list[float] = []
    errors = 0
    tasks: list[asyncio.Task[None]] = []

    async def one(index: int) -> None:
        nonlocal errors
        method, url, body = make(index)
        started = time.perf_counter()
        try:
            answer = await client.request(method, url, json=body)
            if answer.status_code >= 400:
                errors += 1
                if errors <= 3:
                    print(f"  {method} {url} -> {answer.status_code} {answer.text[:200]}")
        except httpx.HTTPError:
            errors += 1
        latencies.append(time.perf_counter() - started)

    begin = time.perf_counter()
    total = int(rate * seconds)
    for index in range(total):
        delay = begin + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index)))
    await asyncio.gather(*tasks)
    return latencies, errors, time.perf_counter() - begin


def _row(name: str, offered: float, latencies: list[float], errors: int, wall: float) -> list[object]:
    latencies.sort()
    return [
        name,
        offered,
        len(latencies),
        errors,
        round(len(latencies) / wall, 1),
        common.percentile(latencies, 50) * 1000,
        common.percentile(latencies, 95) * 1000,
        common.percentile(latencies, 99) * 1000,
    ]


async def _measure(
    api: str, bare: str, token: str, *, rate: float, create_rate: float, seconds: float, read_name: str
) -> list[list[object]]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    rows = []
    serial = itertools.count()
    async with httpx.AsyncClient(headers=headers, timeout=30, limits=limits) as client:
        status = await client.get(f"{api}/api/platform/namespaces/{read_name}")
        request_id = status.json()["data"]["requestId"]
        first = (await client.get(f"{api}/api/platform/namespaces?limit=50")).json()["data"]
        cursor = first["next"]
        cases: dict[str, Callable[[int], tuple[str, str, Any]]] = {
            "bare FastAPI endpoint": lambda i: ("GET", f"{bare}/bare", None),
            "GET /namespaces (list, first page, counted)": lambda i: (
                "GET",
                f"{api}/api/platform/namespaces?limit=50",
                None,
            ),
            "GET /namespaces?cursor= (next page)": lambda i: (
                "GET",
                f"{api}/api/platform/namespaces?limit=50&cursor={cursor}",
                None,
            ),
            "GET /analytics/dashboard": lambda i: ("GET", f"{api}/api/platform/analytics/dashboard", None),
            "GET /namespaces/request/{id}/status": lambda i: (
                "GET",
                f"{api}/api/platform/namespaces/request/{request_id}/status",
                None,
            ),
            "GET /namespaces/{name} (reads the cluster)": lambda i: (
                "GET",
                f"{api}/api/platform/namespaces/{read_name}",
                None,
            ),
            "POST /namespaces/request": lambda i: (
                "POST",
                f"{api}/api/platform/namespaces/request",
                {**SEED, "namespaceName": f"load-{next(serial)}"},
            ),
        }
        for name, make in cases.items():
            offered = create_rate if name.startswith("POST") else rate
            await _load(client, make, rate=offered / 4, seconds=1)  # warm up connections and caches
            latencies, errors, wall = await _load(client, make, rate=offered, seconds=seconds)
            rows.append(_row(name, offered, latencies, errors, wall))
    return rows


SEED = {
    "namespaceName": "bench-read",
    "team": "team-a",
    "environment": "development",
    "resourceTier": "small",
    "networkPolicy": "isolated",
}


async def _provision_read_namespace(api: str, token: str) -> None:
    """Request ``bench-read`` and wait until a worker made it ready: the detail case reads it back."""
    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        accepted = await client.post(f"{api}/api/platform/namespaces/request", json=SEED)
        request_id = accepted.json()["data"]["requestId"]
        for _ in range(600):
            status = await client.get(f"{api}/api/platform/namespaces/request/{request_id}/status")
            if status.json()["data"]["status"] == "ready":
                return
            await asyncio.sleep(0.1)
    raise SystemExit("bench-read did not become ready within 60 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--create-rate", type=float, default=50, help="offered rate of the create case")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("NSAAS_BENCH_POSTGRES_URL"),
        help="PostgreSQL server URL (postgresql+asyncpg://...); default NSAAS_BENCH_POSTGRES_URL",
    )
    parser.add_argument("--rows", type=int, default=10_000, help="requests in the table while measuring")
    args = parser.parse_args()
    if not args.postgres:
        raise SystemExit(
            "api_load measures PostgreSQL, the production database: pass --postgres URL or set "
            "NSAAS_BENCH_POSTGRES_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/postgres)"
        )
    work = Path(tempfile.mkdtemp(prefix="nsaas-apibench-"))
    (work / "bare_app.py").write_text(BARE_APP)
    kubeconfig = work / "kubeconfig.yaml"
    api_port, bare_port = common.free_port(), common.free_port()
    total = int(args.rate * (args.seconds + 1)) * 2
    env = {
        **os.environ,
        "NSAAS_AUTH_MODE": "dev",
        "NSAAS_DATA_DIR": str(work),
        "NSAAS_KUBECONFIG": str(kubeconfig),
        "NSAAS_LOG_LEVEL": "WARNING",
        "NSAAS_AUTH__CREATE_LIMIT": str(total),
        "NSAAS_AUTH__RATE_LIMIT_PER_MINUTE": str(total * 10),
        "NSAAS_POLICY__TEAM_NAMESPACE_CAP": str(total),
        "NSAAS_ENGINES__RUN_IN_API": "false",
        "PYTHONPATH": str(work),
    }
    with common.scratch_database(args.postgres) as database:
        assert database is not None
        _run(args, env, work, kubeconfig, api_port, bare_port, database)


def _run(
    args: argparse.Namespace,
    env: dict[str, str],
    work: Path,
    kubeconfig: Path,
    api_port: int,
    bare_port: int,
    database: str,
) -> None:
    env["NSAAS_DATABASE_URL"] = database
    with common.process([*common.nsaas(), "sim", "--kubeconfig", str(kubeconfig)], env=env, cpu=0):
        common.wait_file(kubeconfig)
        subprocess.run([*common.nsaas(), "db", "upgrade"], env=env, check=True)
        api_cmd = [*common.nsaas(), "api", "--host", "127.0.0.1", "--port", str(api_port), "--no-worker"]
        bare_cmd = [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(bare_port), "--log-level", "warning"]
        with common.process(api_cmd, env=env, cpu=1), common.process(bare_cmd, env=env, cpu=1):
            api, bare = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{bare_port}"
            common.wait_http(f"{api}/health/live")
            common.wait_http(f"{bare}/bare")
            token = dev_auth.DevSigner.load_or_create(config.Settings(auth_mode="dev", data_dir=work)).token_for(
                "platform-admin"
            )
            with common.process([*common.nsaas(), "worker"], env=env, cpu=0):
                asyncio.run(_provision_read_namespace(api, token))
            asyncio.run(common.copy_requests(database, like=str(SEED["namespaceName"]), count=args.rows - 1))
            rows = asyncio.run(
                _measure(
                    api,
                    bare,
                    token,
                    rate=args.rate,
                    create_rate=args.create_rate,
                    seconds=args.seconds,
                    read_name=str(SEED["namespaceName"]),
                )
            )
    print(f"database: postgresql, {args.rows:,} requests; {args.seconds:g}s per case; load `uptime`: {common.load()}")
    print(common.table(["case", "offered/s", "requests", "errors", "achieved/s", "p50 ms", "p95 ms", "p99 ms"], rows))


if __name__ == "__main__":
    main()

"""Provision namespaces through the API at a steady rate on a cluster that already holds N; report per engine.

Processes: the simulator (``nsaas sim``), the Platform API with its in-process reconciler
(``nsaas api``, dev auth, SQLite or PostgreSQL, every engine setting at its default), and this
load driver. First ``--existing`` namespaces are provisioned and waited for (not measured), so
the worker is also re-checking them for drift every resync period while the measured requests
arrive. Then requests are offered at ``--rate`` for ``--seconds`` (default: three default resync
periods) and the driver listens on ``/api/platform/events`` (SSE) for each request's ``ready``
event; request-to-ready is measured on the driver's clock from just before the POST to the
arrival of that event, and ready/s is ready requests over the wall time until the last of them.

Targets (issue 5): >= 20 namespaces/s sustained with the direct engine; request-to-ready p95 < 1 s.
Run: ``python -m bench.provisioning --existing 1000 --rate 20 --seconds 90 --engines direct [--postgres URL]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import tempfile
import time
from pathlib import Path

import httpx

from bench import common
from nsaas import config, devkit
from nsaas.adapters.auth import dev as dev_auth
from nsaas.adapters.kube import cluster as kube_cluster


async def _bootstrap(kubeconfig: Path) -> None:
    settings = config.Settings(kubeconfig=str(kubeconfig))
    cluster = kube_cluster.Cluster.from_settings(settings)
    try:
        await devkit.bootstrap_cluster(cluster, settings)
    finally:
        await cluster.aclose()


async def _drive(base: str, token: str, count: int, run: str, rate: float) -> tuple[float, list[float], int]:
    """Submit ``count`` requests (at ``rate``/s, or a burst when 0); wall seconds, latencies, not ready."""
    headers = {"Authorization": f"Bearer {token}"}
    submitted: dict[str, float] = {}
    ready: dict[str, float] = {}
    done = asyncio.Event()

    async def listen() -> None:
        async with (
            httpx.AsyncClient(timeout=None) as client,
            client.stream("GET", f"{base}/api/platform/events", headers=headers) as stream,
        ):
            async for line in stream.aiter_lines():
                if not line.startswith("data:"):
                    continue
                event = json.loads(line[5:])
                if event["kind"] == "status" and event["status"] == "ready" and event["namespace"] in submitted:
                    ready.setdefault(event["namespace"], time.perf_counter())
                    if len(ready) == count:
                        done.set()
                        return

    listener = asyncio.create_task(listen())
    await asyncio.sleep(0.5)
    failures = 0
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30, limits=limits) as client:
        started = time.perf_counter()

        async def submit(index: int) -> None:
            nonlocal failures
            name = f"bench-{run}-{index}"
            body = {
                "namespaceName": name,
                "team": "team-a",
                "environment": "development",
                "resourceTier": "small",
                "networkPolicy": "isolated",
                "features": ["monitoring-enhanced"],
            }
            submitted[name] = time.perf_counter()
            answer = await client.post("/api/platform/namespaces/request", json=body)
            if answer.status_code != 202:
                failures += 1
                submitted.pop(name)

        if rate:
            # Open loop at a fixed offered rate: request-to-ready without a self-made queue.
            tasks = []
            for index in range(count):
                delay = started + index / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(submit(index)))
            await asyncio.gather(*tasks)
        else:
            gate = asyncio.Semaphore(16)

            async def bounded(index: int) -> None:
                async with gate:
                    await submit(index)

            await asyncio.gather(*(bounded(i) for i in range(count)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(done.wait(), timeout=max(120, count))
        wall = (max(ready.values()) if ready else time.perf_counter()) - started
    listener.cancel()
    latencies = [ready[n] - submitted[n] for n in ready]
    return wall, latencies, failures + (count - len(ready))


def _run_engine(engine: str, args: argparse.Namespace, database: str | None) -> list[object]:
    count = int(args.rate * args.seconds) if args.rate else args.count
    work = Path(tempfile.mkdtemp(prefix=f"nsaas-bench-{engine}-"))
    kubeconfig = work / "kubeconfig.yaml"
    port = common.free_port()
    env = {
        **os.environ,
        "NSAAS_AUTH_MODE": "dev",
        "NSAAS_DATA_DIR": str(work),
        "NSAAS_ENGINE": engine,
        "NSAAS_KUBECONFIG": str(kubeconfig),
        "NSAAS_LOG_LEVEL": "WARNING",
        # Limits that would refuse the benchmark's own requests; every engine setting stays at its default.
        "NSAAS_AUTH__CREATE_LIMIT": str((count + args.existing) * 2),
        "NSAAS_AUTH__RATE_LIMIT_PER_MINUTE": "100000",
        "NSAAS_POLICY__TEAM_NAMESPACE_CAP": str((count + args.existing) * 2),
    }
    if database:
        env["NSAAS_DATABASE_URL"] = database
    with common.process([*common.nsaas(), "sim", "--kubeconfig", str(kubeconfig)], env=env, cpu=0):
        common.wait_file(kubeconfig)
        asyncio.run(_bootstrap(kubeconfig))
        if database:
            import subprocess

            subprocess.run([*common.nsaas(), "db", "upgrade"], env=env, check=True)
        with common.process([*common.nsaas(), "api", "--host", "127.0.0.1", "--port", str(port)], env=env, cpu=1):
            base = f"http://127.0.0.1:{port}"
            common.wait_http(f"{base}/health/live")
            token = dev_auth.DevSigner.load_or_create(config.Settings(auth_mode="dev", data_dir=work)).token_for(
                "team-a-developer"
            )
            if args.existing:
                _, _, missing = asyncio.run(_drive(base, token, args.existing, f"{engine}-existing", 0))
                if missing:
                    raise SystemExit(f"{missing} of the {args.existing} existing namespaces did not become ready")
            wall, latencies, failed = asyncio.run(_drive(base, token, count, engine, args.rate))
    latencies.sort()
    return [
        engine,
        "postgresql" if database else "sqlite",
        args.existing,
        f"{args.rate:g}/s" if args.rate else "burst",
        count,
        failed,
        round(wall, 2),
        round(len(latencies) / wall, 1),
        common.percentile(latencies, 50) * 1000,
        common.percentile(latencies, 95) * 1000,
        common.percentile(latencies, 99) * 1000,
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--existing", type=int, default=1000, help="namespaces provisioned before measuring")
    parser.add_argument("--rate", type=float, default=20, help="offered requests/s (0: a burst of --count)")
    parser.add_argument("--seconds", type=float, default=90, help="how long the rate is offered (3 resync periods)")
    parser.add_argument("--count", type=int, default=200, help="burst size when --rate is 0")
    parser.add_argument("--engines", nargs="+", default=["direct"])
    parser.add_argument(
        "--postgres",
        default=os.environ.get("NSAAS_BENCH_POSTGRES_URL"),
        help="PostgreSQL server URL (postgresql+asyncpg://...); default NSAAS_BENCH_POSTGRES_URL, else SQLite",
    )
    args = parser.parse_args()
    rows = []
    for engine in args.engines:
        with common.scratch_database(args.postgres) as database:
            rows.append(_run_engine(engine, args, database))
    print(f"engine settings: defaults; load `uptime`: {common.load()}")
    print(
        common.table(
            [
                "engine",
                "database",
                "existing",
                "offered",
                "requests",
                "not ready",
                "wall s",
                "ready/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    main()

"""How many simple writes per second the simulator takes: ConfigMap creates over HTTPS.

The simulator runs in a subprocess pinned to one core (``os.sched_setaffinity``) and the load
generator in this process, pinned to another, so the figure is the simulator's single-core
throughput rather than a contest between the two for the same CPU. The load generator speaks raw
HTTP/1.1 over keep-alive TLS connections (a general-purpose client would cost more CPU than the
server and become the bottleneck). Every request is a create with a unique name; any non-201
response is counted as an error.

    .venv/bin/python bench/sim_writes.py [--seconds 5] [--connections 16]

Target: >= 2,000 writes/s. The machine this runs on is shared, so repeat a run before trusting a
change of a few percent.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import ssl
import statistics
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field

from bench import common


def _pin(cpu: int) -> None:
    available = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {available[cpu % len(available)]})


async def _serve(cpu: int) -> None:
    from nsaas.sim import server

    _pin(cpu)
    simulator = server.Simulator()
    await simulator.start()
    sys.stdout.write(
        json.dumps({"url": simulator.url, "token": simulator.token, "ca": base64.b64encode(simulator.ca_pem).decode()})
        + "\n"
    )
    sys.stdout.flush()
    try:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until the parent closes stdin
    finally:
        await simulator.stop()


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0


async def _worker(
    *, index: int, url: str, token: str, context: ssl.SSLContext, stop_at: float, record_after: float, results: Results
) -> None:
    parts = urllib.parse.urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port, ssl=context)
    head = (
        f"POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: {parts.netloc}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
    )
    sequence = 0
    try:
        while time.perf_counter() < stop_at:
            sequence += 1
            body = json.dumps(
                {
                    "metadata": {"name": f"bench-{index}-{sequence}", "labels": {"bench": "writes"}},
                    "data": {"key": "value"},
                }
            ).encode()
            started = time.perf_counter()
            writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            if started >= record_after:
                results.latencies.append(time.perf_counter() - started)
                if b" 201 " not in status_line:
                    results.errors += 1
    finally:
        writer.close()
        with contextlib.suppress(ssl.SSLError, ConnectionError):
            await writer.wait_closed()


async def _load(endpoint: dict[str, str], *, seconds: float, warmup: float, connections: int) -> Results:
    context = ssl.create_default_context(cadata=base64.b64decode(endpoint["ca"]).decode())
    now = time.perf_counter()
    results = Results()
    await asyncio.gather(
        *(
            _worker(
                index=i,
                url=endpoint["url"],
                token=endpoint["token"],
                context=context,
                stop_at=now + warmup + seconds,
                record_after=now + warmup,
                results=results,
            )
            for i in range(connections)
        )
    )
    return results


def _report(results: Results, *, seconds: float, connections: int) -> None:
    latencies = sorted(results.latencies)
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) >= 100 else [float("nan")] * 99
    rows = [
        ("connections", f"{connections}"),
        ("measured seconds", f"{seconds:.1f}"),
        ("writes", f"{len(latencies)}"),
        ("errors", f"{results.errors}"),
        ("writes/s", f"{len(latencies) / seconds:,.0f}"),
        ("p50 latency ms", f"{cuts[49] * 1000:.2f}"),
        ("p95 latency ms", f"{cuts[94] * 1000:.2f}"),
        ("p99 latency ms", f"{cuts[98] * 1000:.2f}"),
    ]
    print(
        f"Simulator raw write capacity: ConfigMap creates over {connections} long-lived keep-alive TLS "
        "connections; not the platform's traffic pattern (bundle applies and drift GETs, see "
        f"bench.provisioning). Load `uptime`: {common.load()}"
    )
    print("| metric | value |\n|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cpu", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.cpu))
        return
    command = [sys.executable, __file__, "--serve", "--cpu", "0"]
    with subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as server:
        assert server.stdout is not None
        assert server.stdin is not None
        endpoint = json.loads(server.stdout.readline())
        _pin(1)
        results = asyncio.run(_load(endpoint, seconds=args.seconds, warmup=args.warmup, connections=args.connections))
        server.stdin.close()
        server.wait(timeout=30)
    _report(results, seconds=args.seconds, connections=args.connections)


if __name__ == "__main__":
    main()

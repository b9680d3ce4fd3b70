"""A worker process's metrics, read as the crash test and the chaos run wait for it to claim work.

Imports only httpx: the chaos driver (``python -m tests.chaos.run``) loads no platform code.
"""

from __future__ import annotations

import contextlib

import httpx

LAST_PASS = "nsaas_reconciler_last_pass_timestamp_seconds"


async def last_pass(client: httpx.AsyncClient, port: int) -> float | None:
    """When the worker whose metrics listen on ``port`` last made a claiming pass (0: not yet);
    None while its metrics do not answer."""
    with contextlib.suppress(httpx.HTTPError):
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
        return next((float(line.split()[-1]) for line in text.splitlines() if line.startswith(f"{LAST_PASS} ")), 0.0)
    return None

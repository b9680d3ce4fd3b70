"""The cluster client keeps its connections: repeated drift checks open no new TLS connections.

The worker runs ``engines.max_concurrent_steps`` checks at once and each check fetches every
object of its bundle concurrently. With a keep-alive pool smaller than that fan-out, every
request beyond the pool opened a connection (a TLS handshake) and closed it after one response;
the simulator counts handshakes, so churn shows up as a number here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from nsaas.adapters.kube import client, cluster
from nsaas.sim import server
from tests.kube.conftest import SimControl, cluster_settings, render_bundle

ROUNDS = 4


async def test_repeated_concurrent_drift_checks_reuse_their_connections(
    kubeconfig_path: Path, sim: SimControl, simulator: server.Simulator, namespace_names: Callable[[str], str]
) -> None:
    """``sim`` skips on a real cluster; the counter is read in process (a stats call may itself reconnect)."""
    settings = cluster_settings(kubeconfig_path)
    checks = settings.engines.max_concurrent_steps
    bundles = [render_bundle(namespace_names("reuse"), request_id=f"req-reuse-{i}") for i in range(checks)]
    kube = cluster.Cluster.from_settings(settings)
    try:
        for bundle in bundles:
            await kube.apply(bundle=bundle)
        observed = await asyncio.gather(*(kube.observe(bundle=b) for b in bundles))  # the pool fills up here
        assert all(o.matches for o in observed)
        assert sum(len(b.manifests) for b in bundles) > client.pool_size(settings)  # the fan-out exceeds the pool
        warmed = simulator.tls_handshakes
        for _ in range(ROUNDS):
            await asyncio.gather(*(kube.observe(bundle=b) for b in bundles))
        assert simulator.tls_handshakes - warmed == 0
    finally:
        await kube.aclose()

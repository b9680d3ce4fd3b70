"""Fault injection against the simulator: convergence under 20% failures, bounded attempts, the breaker.

Skipped with a reason against a real cluster: faults are injected through the simulator's
``/_sim/faults`` control API.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from nsaas.adapters.kube import client, cluster
from nsaas.domain import errors
from tests.kube import scripted
from tests.kube.conftest import SimControl, cluster_settings, render_bundle

Names = Callable[[str], str]
#: Three rules at this rate fail 1 - (1 - r)**3 = 20% of requests, split between 500, 429 and drops.
PER_ERROR_RATE = 1 - 0.8 ** (1 / 3)


def _twenty_percent() -> list[dict[str, object]]:
    return [
        {"verb": "*", "resource": "*", "rate": PER_ERROR_RATE, "error": error, "retryAfterSeconds": 0}
        for error in ("500", "429", "drop")
    ]


async def test_apply_converges_with_twenty_percent_of_requests_failing(
    namespace_names: Names, kubeconfig_path: str | Path, sim: SimControl
) -> None:
    max_retries = 6
    kube = cluster.Cluster.from_settings(cluster_settings(kubeconfig_path, max_retries=max_retries))
    bundle = render_bundle(namespace_names("kf"))
    try:
        await sim.faults(*_twenty_percent(), seed=20)
        served_before = await sim.requests_served()
        result = await kube.apply(bundle=bundle)
        served = await sim.requests_served() - served_before
        await sim.clear()
        observed = await kube.observe(bundle=bundle)
    finally:
        await kube.aclose()

    assert result.ok, result.failed
    assert observed.matches, (observed.missing, observed.drifted)
    stats = kube.stats
    assert stats.retries > 0, "the fault rules injected nothing: the test would prove nothing"
    assert stats.attempts <= stats.calls * (1 + max_retries)
    assert served <= stats.attempts  # the server saw no request the adapter did not count


async def test_a_namespace_that_cannot_be_applied_skips_everything_inside_it(
    namespace_names: Names, kube: cluster.Cluster, sim: SimControl
) -> None:
    bundle = render_bundle(namespace_names("kf"))
    await sim.faults({"verb": "patch", "resource": "namespaces", "rate": 1.0, "error": "409"})
    result = await kube.apply(bundle=bundle)
    await sim.clear()
    assert f"Namespace/{bundle.namespace}" in result.failed
    assert len(result.skipped) == len(bundle.manifests) - 1
    assert result.applied == ()
    assert result.pruned == ()
    assert not result.cluster_unavailable  # refused, not unreachable: it uses up the attempts


async def test_an_apply_the_cluster_could_not_answer_says_so(
    namespace_names: Names, kubeconfig_path: str | Path, sim: SimControl
) -> None:
    """Every call a 500: the failures are the cluster's, so the request waits instead of failing."""
    fake = scripted.FakeTime()
    settings = cluster_settings(kubeconfig_path, max_retries=1)
    kube = cluster.Cluster(client.connect(settings=settings), settings=settings, sleep=fake.sleep, clock=fake.clock)
    bundle = render_bundle(namespace_names("kf"))
    try:
        await sim.faults({"verb": "*", "resource": "*", "rate": 1.0, "error": "500"})
        result = await kube.apply(bundle=bundle)
    finally:
        await sim.clear()
        await kube.aclose()
    assert result.unreachable == (f"Namespace/{bundle.namespace}",)
    assert len(result.skipped) == len(bundle.manifests) - 1
    assert result.cluster_unavailable


async def test_the_breaker_opens_when_every_request_fails_then_recovers(
    namespace_names: Names, kubeconfig_path: str | Path, sim: SimControl
) -> None:
    fake = scripted.FakeTime()
    settings = cluster_settings(kubeconfig_path, max_retries=2, breaker_failure_threshold=3, breaker_reset_seconds=5)
    kube = cluster.Cluster(client.connect(settings=settings), settings=settings, sleep=fake.sleep, clock=fake.clock)
    name = namespace_names("kf")
    try:
        await sim.faults({"verb": "*", "resource": "*", "rate": 1.0, "error": "500"})
        with pytest.raises(errors.ClusterUnavailable):
            await kube.namespace_info(name)
        assert kube.circuit_open
        served = await sim.requests_served()
        with pytest.raises(errors.ClusterUnavailable, match="circuit breaker open"):
            await kube.namespace_info(name)
        assert await sim.requests_served() == served  # failing fast: nothing reached the server

        await sim.clear()
        fake.now += 6
        assert await kube.namespace_info(name) is None
        assert not kube.circuit_open
    finally:
        await kube.aclose()

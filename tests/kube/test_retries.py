"""Retries, Retry-After, error mapping and the circuit breaker, through the real lightkube client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from nsaas import metrics
from nsaas.adapters.kube import cluster
from nsaas.domain import errors
from tests.kube import scripted
from tests.kube.scripted import DROP, OK, Answer, FakeTime, ScriptedServer, fail


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


Make = Callable[..., cluster.Cluster]


@pytest.fixture
async def make(fake: FakeTime) -> AsyncIterator[Make]:
    """Build Clusters over scripted servers; all are closed after the test."""
    made: list[cluster.Cluster] = []

    def build(server: ScriptedServer, **overrides: float) -> cluster.Cluster:
        made.append(scripted.make_cluster(server, fake, scripted.settings(**overrides)))
        return made[-1]

    yield build
    for adapter in made:
        await adapter.aclose()


async def test_transient_failures_are_retried_until_the_call_succeeds(make: Make, fake: FakeTime) -> None:
    server = ScriptedServer([fail(500), DROP, fail(503), OK])
    adapter = make(server)
    info = await adapter.namespace_info("team-a-dev")
    assert info is not None
    assert info.phase == "Active"
    assert len(server.requests) == 4
    assert len(fake.sleeps) == 3


async def test_retries_stop_after_max_retries_with_cluster_unavailable(make: Make) -> None:
    server = ScriptedServer([], then=fail(500))
    adapter = make(server, max_retries=2)
    with pytest.raises(errors.ClusterUnavailable) as caught:
        await adapter.namespace_info("team-a-dev")
    assert caught.value.status == 500
    assert len(server.requests) == 3


async def test_retry_after_is_a_floor_for_the_backoff(make: Make, fake: FakeTime) -> None:
    server = ScriptedServer([fail(429, **{"Retry-After": "1.5"}), OK])
    adapter = make(server)
    await adapter.namespace_info("team-a-dev")
    assert fake.sleeps[0] >= 1.5


async def test_backoff_grows_but_never_exceeds_the_cap(make: Make, fake: FakeTime) -> None:
    server = ScriptedServer([], then=fail(503))
    adapter = make(server, max_retries=8, breaker_failure_threshold=100)
    with pytest.raises(errors.ClusterUnavailable):
        await adapter.namespace_info("team-a-dev")
    assert len(fake.sleeps) == 8
    assert all(0 <= delay <= 2.0 for delay in fake.sleeps)


async def test_a_definite_answer_is_not_retried(make: Make, fake: FakeTime) -> None:
    server = ScriptedServer([fail(422)])
    adapter = make(server)
    with pytest.raises(errors.ClusterRejected):
        await adapter.apply_object(manifest={"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}})
    assert len(server.requests) == 1
    assert fake.sleeps == []


async def test_a_missing_object_is_none_not_an_error(make: Make) -> None:
    server = ScriptedServer([fail(404)])
    adapter = make(server)
    assert await adapter.namespace_info("absent") is None


async def test_a_kind_the_platform_does_not_manage_is_refused_before_any_request(make: Make) -> None:
    server = ScriptedServer([])
    adapter = make(server)
    with pytest.raises(errors.ClusterRejected, match="not one nsaas manages"):
        await adapter.apply_object(
            manifest={"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {}}
        )
    assert server.requests == []


async def test_the_breaker_opens_after_consecutive_failures_and_then_fails_fast(make: Make) -> None:
    server = ScriptedServer([], then=fail(500))
    adapter = make(server, max_retries=2, breaker_failure_threshold=5)
    for _ in range(2):
        with pytest.raises(errors.ClusterUnavailable):
            await adapter.namespace_info("team-a-dev")
    assert adapter.circuit_open
    assert metrics.KUBE_CIRCUIT_OPEN._value.get() == 1
    sent = len(server.requests)
    with pytest.raises(errors.ClusterUnavailable, match="circuit breaker open"):
        await adapter.namespace_info("team-a-dev")
    assert len(server.requests) == sent
    assert adapter.stats.fast_failures == 1


async def test_the_breaker_lets_one_probe_through_after_the_pause_and_closes_on_success(
    make: Make, fake: FakeTime
) -> None:
    server = ScriptedServer([scripted.fail(500)] * 5)
    adapter = make(server, max_retries=0, breaker_failure_threshold=5, breaker_reset_seconds=30)
    for _ in range(5):
        with pytest.raises(errors.ClusterUnavailable):
            await adapter.namespace_info("team-a-dev")
    assert adapter.circuit_open
    fake.now += 29
    with pytest.raises(errors.ClusterUnavailable, match="circuit breaker open"):
        await adapter.namespace_info("team-a-dev")
    fake.now += 2
    assert await adapter.namespace_info("team-a-dev") is not None
    assert not adapter.circuit_open
    assert metrics.KUBE_CIRCUIT_OPEN._value.get() == 0


async def test_a_failed_probe_reopens_the_breaker_for_another_pause(make: Make, fake: FakeTime) -> None:
    server = ScriptedServer([scripted.fail(500)] * 6)
    adapter = make(server, max_retries=0, breaker_failure_threshold=5, breaker_reset_seconds=30)
    for _ in range(5):
        with pytest.raises(errors.ClusterUnavailable):
            await adapter.namespace_info("team-a-dev")
    fake.now += 31
    with pytest.raises(errors.ClusterUnavailable):
        await adapter.namespace_info("team-a-dev")  # the probe, answered 500
    sent = len(server.requests)
    with pytest.raises(errors.ClusterUnavailable, match="circuit breaker open"):
        await adapter.namespace_info("team-a-dev")
    assert len(server.requests) == sent


async def test_a_not_found_answer_proves_the_server_is_up_and_resets_the_failure_count(make: Make) -> None:
    server = ScriptedServer([fail(500), fail(500), fail(404), fail(500), fail(500), OK])
    adapter = make(server, max_retries=0, breaker_failure_threshold=3)
    for _ in range(2):
        with pytest.raises(errors.ClusterUnavailable):
            await adapter.namespace_info("team-a-dev")
    assert await adapter.namespace_info("team-a-dev") is None
    for _ in range(2):
        with pytest.raises(errors.ClusterUnavailable):
            await adapter.namespace_info("team-a-dev")
    assert not adapter.circuit_open
    assert await adapter.namespace_info("team-a-dev") is not None


async def test_ping_is_false_instead_of_raising_when_the_api_is_down(make: Make) -> None:
    server = ScriptedServer([], then=Answer(drop=True))
    adapter = make(server, max_retries=1)
    assert await adapter.ping() is False


async def test_not_implemented_is_a_definite_answer_and_not_retried(make: Make) -> None:
    server = ScriptedServer([fail(501)])
    adapter = make(server)
    with pytest.raises(errors.ClusterRejected):
        await adapter.namespace_info("team-a-dev")
    assert len(server.requests) == 1

"""A scripted API server for unit tests: each request gets the next answer from a list.

Used to test retries, Retry-After and the circuit breaker through the real lightkube client,
without the simulator and without sleeping: the Cluster gets a recording fake ``sleep``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx2

from nsaas import config
from nsaas.adapters.kube import client, cluster

NAMESPACE = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a-dev"}, "status": {"phase": "Active"}}


def status(code: int, message: str = "scripted failure", reason: str = "InternalError") -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


@dataclass
class Answer:
    code: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


OK = Answer(200, NAMESPACE)
DROP = Answer(drop=True)


def fail(code: int, **headers: str) -> Answer:
    return Answer(code, status(code), headers)


@dataclass
class ScriptedServer:
    answers: list[Answer]
    #: Answer once the script is used up (a healthy server by default).
    then: Answer = field(default_factory=lambda: OK)
    requests: list[httpx2.Request] = field(default_factory=list)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if self.answers else self.then
        if answer.drop:
            raise httpx2.ReadError("connection dropped by scripted server", request=request)
        return httpx2.Response(answer.code, json=answer.body, headers=answer.headers)


@dataclass
class FakeTime:
    """Sleep advances the clock, so breaker timing is exact and tests never wait."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def settings(**cluster_overrides: Any) -> config.Settings:
    base: dict[str, Any] = {
        "max_retries": 3,
        "backoff_base_seconds": 0.1,
        "backoff_max_seconds": 2.0,
        "breaker_failure_threshold": 5,
        "breaker_reset_seconds": 30.0,
    }
    return config.Settings(cluster=config.ClusterSettings(**{**base, **cluster_overrides}))


def make_cluster(server: ScriptedServer, fake: FakeTime, nsaas_settings: config.Settings) -> cluster.Cluster:
    lk = client.connect_to(
        server="https://scripted.invalid",
        token="t",
        settings=nsaas_settings,
        transport=httpx2.MockTransport(server.handle),
    )
    return cluster.Cluster(lk, settings=nsaas_settings, sleep=fake.sleep, clock=fake.clock, rng=random.Random(7))


def answers(*items: Answer | Iterable[Answer]) -> list[Answer]:
    out: list[Answer] = []
    for item in items:
        out.extend([item] if isinstance(item, Answer) else item)
    return out

"""The services tier: use cases and the reconciler against in-memory fakes of the ports (no I/O)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsaas import config
from nsaas.adapters.events import memory
from nsaas.domain import identity
from nsaas.reconcile import loop
from nsaas.services import requests
from tests.services import fakes


@pytest.fixture
def clock() -> fakes.Clock:
    return fakes.Clock()


@pytest.fixture
def store(clock: fakes.Clock) -> fakes.Store:
    return fakes.Store(clock)


@pytest.fixture
def cluster() -> fakes.Cluster:
    return fakes.Cluster()


@pytest.fixture
def settings(tmp_path: Path) -> config.Settings:
    return config.Settings(
        auth_mode="dev",
        data_dir=tmp_path,
        log_json=False,
        engines=config.EngineSettings(resync_seconds=60, poll_seconds=1, backoff_base_seconds=1, max_attempts=3),
    )


@pytest.fixture
def service(settings: config.Settings, store: fakes.Store, cluster: fakes.Cluster) -> requests.RequestService:
    return requests.RequestService(settings=settings, repo=store, cluster=cluster, bus=memory.MemoryBus())


@pytest.fixture
def reconciler(
    settings: config.Settings, store: fakes.Store, cluster: fakes.Cluster, clock: fakes.Clock
) -> loop.Reconciler:
    return loop.Reconciler(
        settings=settings, repo=store, cluster=cluster, bus=memory.MemoryBus(), worker_id="w1", clock=clock
    )


def caller(*roles: str, subject: str = "ada") -> requests.Caller:
    return requests.Caller(
        principal=identity.Principal(subject=subject, name=subject, roles=frozenset(roles), source="dev")
    )


DEVELOPER = caller("team:team-a:developer")
ADMIN = caller(identity.PLATFORM_ADMIN, subject="pat")

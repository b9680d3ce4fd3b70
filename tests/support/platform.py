"""The whole platform in-process for API and reconciler tests: runtime, app, client and personas.

``platform`` builds a runtime against the session's simulator (or a real cluster with
``NSAAS_E2E_KUBECONFIG``) and a fresh database of each dialect, and an ``httpx.AsyncClient``
speaking ASGI to the app. The reconciler does not run by itself: tests drive it with
``converge()``, so every test is deterministic; ``live_server`` runs a real uvicorn when a test
needs streaming (SSE) or a background worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from nsaas import config, devkit, runtime
from nsaas.adapters.auth import dev
from nsaas.adapters.db import database as db_module
from nsaas.api import app as api_app
from nsaas.domain import lifecycle

PERSONAS = ("platform-admin", "team-a-admin", "team-a-developer", "team-b-admin", "team-b-developer", "viewer")


def settings_for(data_dir: Path, kubeconfig: Path, **overrides: Any) -> config.Settings:
    engines = {
        "poll_seconds": 0.05,
        "resync_seconds": 3600,
        "backoff_base_seconds": 0.01,
        "backoff_max_seconds": 0.05,
        "lease_seconds": 5,
        "max_attempts": 4,
    }
    engines.update(overrides.pop("engines", {}))
    return config.Settings(
        auth_mode="dev",
        data_dir=data_dir,
        kubeconfig=str(kubeconfig),
        log_json=False,
        engines=config.EngineSettings(**engines),
        cluster=config.ClusterSettings(backoff_base_seconds=0.005, backoff_max_seconds=0.05),
        **overrides,
    )


def request_body(name: str, **overrides: Any) -> dict[str, Any]:
    """A valid request body (API shape) for team-a."""
    return {
        "namespaceName": name,
        "team": "team-a",
        "environment": "development",
        "resourceTier": "small",
        "networkPolicy": "isolated",
        "features": [],
        "description": "test",
        **overrides,
    }


@dataclass
class Platform:
    rt: runtime.Runtime
    client: httpx.AsyncClient
    tokens: dict[str, str]
    settings: config.Settings
    prefix: str = "/api/platform"
    names: list[str] = field(default_factory=list)

    def auth(self, persona: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[persona]}"}

    async def call(self, method: str, path: str, persona: str = "team-a-developer", **kwargs: Any) -> httpx.Response:
        headers = {**self.auth(persona), **kwargs.pop("headers", {})}
        url = path if path.startswith(("/api/", "/health", "/metrics")) else self.prefix + path
        return await self.client.request(method, url, headers=headers, **kwargs)

    def body(self, name: str, **overrides: Any) -> dict[str, Any]:
        """A valid request body for team-a with a unique-per-run name."""
        self.names.append(name)
        return request_body(name, **overrides)

    async def converge(
        self, name: str, *, until: Callable[[str], bool] | None = None, rounds: int = 200
    ) -> lifecycle.Status:
        """Run reconciler ticks until the request reaches a settled state (or ``until`` holds)."""
        done = until or (lambda s: s in {"ready", "failed", "pending-approval"} or s in lifecycle.TERMINAL)
        status = ""
        for _ in range(rounds):
            await self.rt.reconciler.tick()
            record = await self.rt.repo.find_live_by_name(name) or await self.rt.repo.get_latest_by_name(name)
            assert record is not None
            status = record.status
            if done(status):
                return record.status
            await asyncio.sleep(0.01)
        raise AssertionError(f"{name} did not settle; last status {status}")


def unique(prefix: str) -> str:
    return f"{prefix}-{int(time.time() * 1000) % 10_000_000}-{id(object()) % 1000}"


@contextlib.asynccontextmanager
async def running_platform(
    database: db_module.Database, kubeconfig_path: Path, data_dir: Path, *, bootstrap: bool = True, **overrides: Any
) -> AsyncIterator[Platform]:
    """A runtime, app and client on ``database``; everything it opened is closed afterwards.

    ``bootstrap`` prepares the cluster as ``nsaas dev`` does (platform namespaces, templates); off
    when the cluster is already prepared and the kubeconfig's identity may not do that itself.
    """
    settings = settings_for(data_dir, kubeconfig_path, **overrides)
    _share_dev_key(settings)
    rt = await runtime.build(settings, component="test", database=database)
    if bootstrap:
        await devkit.bootstrap_cluster(rt.cluster, settings)
    signer = dev.DevSigner.load_or_create(settings)
    tokens = {p: signer.token_for(p) for p in PERSONAS}
    app = api_app.create_app(settings, rt=rt)
    await rt.bus.start()
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5555))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
            plat = Platform(rt=rt, client=client, tokens=tokens, settings=settings)
            try:
                yield plat
            finally:
                await _cleanup(plat)
    finally:
        await rt.authenticator.aclose()
        await rt.webhooks.aclose()
        await rt.cluster.aclose()
        await rt.bus.aclose()


@functools.cache
def _dev_key_pem() -> bytes:
    """One dev signing key per test process: generating a 2048-bit RSA key costs more than most tests."""
    with tempfile.TemporaryDirectory() as directory:
        settings = config.Settings(auth_mode="dev", data_dir=Path(directory))
        dev.DevSigner.load_or_create(settings)
        return dev.key_path(settings).read_bytes()


def _share_dev_key(settings: config.Settings) -> None:
    """Give a fresh data directory the process's dev key (as if ``nsaas dev`` had run there before)."""
    path = dev.key_path(settings)
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_bytes(_dev_key_pem())


@pytest.fixture
async def platform(database: db_module.Database, kubeconfig_path: Path, tmp_path: Path) -> AsyncIterator[Platform]:
    async with running_platform(database, kubeconfig_path, tmp_path) as plat:
        yield plat


async def _cleanup(plat: Platform) -> None:
    """Delete what the test created in the (shared) cluster, by the platform's own labels only."""
    for name in plat.names:
        with contextlib.suppress(Exception):
            record = await plat.rt.repo.get_latest_by_name(name)
            if record is not None:
                await plat.rt.cluster.delete_namespace(
                    name=name,
                    request_id=record.id,
                    managed_label=("platform.io/managed", "true"),
                    request_id_label="platform.io/request-id",
                )


def wait_for(what: str, probe: Callable[[], Any], *, timeout: float = 120) -> Any:
    """Poll ``probe`` (blocking, every half second) until it returns something truthy, and return that;
    fail naming ``what`` and the last value seen if ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"{what} did not happen in {timeout} s; last seen: {last!r}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def live_server(app: Any) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in this loop; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn exposes no startup event
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task

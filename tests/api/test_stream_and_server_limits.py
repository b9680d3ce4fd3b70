"""Hostile or careless clients: too many streams, old Last-Event-IDs, slow readers, slow senders."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from nsaas import config, metrics, requestcontext
from nsaas.adapters.db import database as db_module
from nsaas.api import app as api_app
from nsaas.api import server
from nsaas.cli import main, serve
from tests.support.platform import Platform, free_port, running_platform, unique

LIMITS = config.ServerSettings(
    sse_streams_per_user=2,
    sse_streams_total=3,
    sse_replay_limit=3,
    header_timeout_seconds=0.5,
    body_timeout_seconds=0.5,
)


@pytest.fixture
async def limited(database: db_module.Database, kubeconfig_path: Path, tmp_path: Path) -> AsyncIterator[Platform]:
    async with running_platform(database, kubeconfig_path, tmp_path, server=LIMITS) as plat:
        yield plat


@contextlib.asynccontextmanager
async def serving(plat: Platform) -> AsyncIterator[tuple[str, int]]:
    """The app behind the production server configuration (header deadline and all)."""
    port = free_port()
    app = api_app.create_app(plat.settings, rt=plat.rt)
    srv = uvicorn.Server(server.uvicorn_config(app, host="127.0.0.1", port=port, settings=LIMITS, lifespan="off"))
    task = asyncio.create_task(srv.serve())
    while not srv.started:  # noqa: ASYNC110 - uvicorn exposes no startup event
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", port
    finally:
        srv.should_exit = True
        await task


async def _open(stack: contextlib.AsyncExitStack, client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await stack.enter_async_context(
        client.stream("GET", "/api/platform/events", headers={"Authorization": f"Bearer {token}"})
    )


async def test_event_streams_are_limited_per_user_and_in_total(limited: Platform) -> None:
    async with serving(limited) as (url, _), httpx.AsyncClient(base_url=url, timeout=10) as client:
        async with contextlib.AsyncExitStack() as stack:
            mine = [await _open(stack, client, limited.tokens["team-a-developer"]) for _ in range(2)]
            assert [s.status_code for s in mine] == [200, 200]
            third = await _open(stack, client, limited.tokens["team-a-developer"])
            assert third.status_code == 429
            await third.aread()
            assert third.json()["error"] == "rate_limited"
            assert int(third.headers["Retry-After"]) >= 1
            other = await _open(stack, client, limited.tokens["team-b-developer"])
            assert other.status_code == 200
            beyond_total = await _open(stack, client, limited.tokens["viewer"])
            assert beyond_total.status_code == 429
        # Closed streams give their slots back.
        async with contextlib.AsyncExitStack() as stack:
            again = await _open(stack, client, limited.tokens["team-a-developer"])
            assert again.status_code == 200


async def test_a_stream_resuming_from_long_ago_replays_only_the_newest_events(limited: Platform) -> None:
    for _ in range(2):
        name = unique("replay")
        await limited.call("POST", "/namespaces/request", json=limited.body(name))
        await limited.converge(name)
    latest = await limited.rt.repo.latest_event_id()
    assert latest > LIMITS.sse_replay_limit
    async with serving(limited) as (url, _), httpx.AsyncClient(base_url=url, timeout=10) as client:
        headers = {**limited.auth("platform-admin"), "Last-Event-ID": "0"}
        async with client.stream("GET", "/api/platform/events", headers=headers) as stream:
            ids = []
            async for line in stream.aiter_lines():
                if line.startswith("id:"):
                    ids.append(int(line[3:]))
                if ids and ids[-1] == latest:
                    break
    # Ids may have gaps (PostgreSQL sequences), so the cap is on the id range: never older ones.
    assert ids[0] > latest - LIMITS.sse_replay_limit
    assert 1 <= len(ids) <= LIMITS.sse_replay_limit


async def test_incomplete_headers_are_cut_off_after_the_header_deadline(limited: Platform) -> None:
    async with serving(limited) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /health/live HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        await writer.drain()
        closed = await asyncio.wait_for(reader.read(), timeout=5)
        writer.close()
    assert closed == b""


async def test_a_body_that_stops_arriving_gets_408(limited: Platform) -> None:
    async with serving(limited) as (_, port):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        token = limited.tokens["team-a-developer"]
        writer.write(
            b"POST /api/platform/namespaces/preview HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Authorization: Bearer {token}\r\n".encode()
            + b'Content-Length: 100\r\n\r\n{"namespaceName":'
        )
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), timeout=5)
        writer.close()
    assert answer.startswith(b"HTTP/1.1 408")
    assert b"request_timeout" in answer


async def test_a_stream_whose_reader_stopped_reading_is_dropped() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        while True:
            await send({"type": "http.response.body", "body": b"data: x\n\n", "more_body": True})

    sent = 0

    async def stuck_send(message: Any) -> None:
        nonlocal sent
        sent += 1
        if sent > 2:
            await asyncio.Event().wait()  # the client's socket buffer is full and stays full

    async def receive() -> Any:
        await asyncio.Event().wait()

    guarded = requestcontext.RequestContext(app, component="api", max_body_bytes=1024, stream_send_timeout_seconds=0.2)
    before = metrics.EVENT_STREAMS_DROPPED._value.get()
    scope = {"type": "http", "method": "GET", "path": "/api/platform/events", "headers": []}
    await asyncio.wait_for(guarded(scope, receive, stuck_send), timeout=5)
    assert metrics.EVENT_STREAMS_DROPPED._value.get() == before + 1


def test_the_production_server_bounds_headers_and_idle_connections() -> None:
    settings = config.ServerSettings()
    cfg = server.uvicorn_config(object(), host="127.0.0.1", port=1, settings=settings)
    assert cfg.h11_max_incomplete_event_size == settings.max_header_bytes
    assert cfg.timeout_keep_alive == settings.keep_alive_seconds
    assert cfg.limit_concurrency == settings.max_connections
    assert issubclass(cfg.http, server.HeaderDeadlineProtocol)  # type: ignore[arg-type]


def test_the_worker_metrics_address_is_an_option(monkeypatch: pytest.MonkeyPatch) -> None:
    bound: dict[str, Any] = {}

    def fake_start(port: int, addr: str = "0.0.0.0", **_: Any) -> None:
        bound.update(port=port, addr=addr)

    async def no_work(_settings: config.Settings) -> None:
        return None

    monkeypatch.setattr(serve, "start_http_server", fake_start)
    monkeypatch.setattr(serve, "_work", no_work)
    monkeypatch.setenv("NSAAS_AUTH_MODE", "dev")
    result = CliRunner().invoke(main.app, ["worker", "--metrics-host", "127.0.0.1", "--metrics-port", "9999"])
    assert result.exit_code == 0, result.output
    assert bound == {"port": 9999, "addr": "127.0.0.1"}

"""A database outage is a state the platform lives through, not a crash.

PostgreSQL here is shared with other tests, so the outage is a TCP proxy that is cut and
restored (:mod:`tests.support.tcpproxy`): open connections are reset and new ones refused,
exactly what clients see when the server stops.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import make_url

from nsaas import metrics, runtime
from nsaas.adapters.db import database as db_module
from nsaas.adapters.events import postgres
from nsaas.domain import errors
from tests.support import db as db_support
from tests.support.platform import Platform, running_platform, unique
from tests.support.tcpproxy import TcpProxy, proxy_to

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


def _via(proxy: TcpProxy, *, database: str | None = None) -> str:
    url = make_url(db_support.POSTGRES_URL).set(host="127.0.0.1", port=proxy.port)
    if database is not None:
        url = url.set(database=database)
    return url.render_as_string(hide_password=False)


def _target() -> tuple[str, int]:
    url = make_url(db_support.POSTGRES_URL)
    return url.host or "127.0.0.1", url.port or 5432


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    await db_support._require_postgres()
    async with proxy_to(*_target()) as p:
        yield p


@pytest.fixture
async def outage_platform(proxy: TcpProxy, kubeconfig_path: Path, tmp_path: Path) -> AsyncIterator[Platform]:
    schema = f"nsaas_test_{uuid.uuid4().hex[:12]}"
    await db_support._admin(f'CREATE SCHEMA "{schema}"')
    db = db_module.Database.create(_via(proxy), schema=schema, pool_size=3)
    try:
        await db.upgrade()
        async with running_platform(db, kubeconfig_path, tmp_path) as plat:
            yield plat
    finally:
        await proxy.restore()
        await db.dispose()
        await db_support._admin(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
async def fresh_database() -> AsyncIterator[str]:
    """A database of its own (migrations start from nothing), dropped afterwards."""
    await db_support._require_postgres()
    name = f"nsaas_mig_{uuid.uuid4().hex[:10]}"
    await db_support._admin(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        await db_support._admin(f'DROP DATABASE "{name}" WITH (FORCE)')


async def _eventually(check: Callable[[], bool], *, within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def test_an_outage_answers_503_with_retry_after_and_the_first_request_after_it_succeeds(
    outage_platform: Platform, proxy: TcpProxy
) -> None:
    plat = outage_platform
    assert (await plat.call("GET", "/namespaces")).status_code == 200  # the pool holds a connection now
    await proxy.cut()
    for method, path, body in (
        ("POST", "/namespaces/request", plat.body(unique("outage"))),
        ("GET", "/namespaces", None),
    ):
        answer = await plat.call(method, path, json=body)
        assert answer.status_code == 503, answer.text
        payload = answer.json()
        assert payload["success"] is False
        assert payload["error"] == "database_unavailable"
        assert payload["requestId"] == answer.headers["x-request-id"]
        assert int(answer.headers["Retry-After"]) >= 1
    await proxy.restore()
    # Pooled connections died with the outage; pre-ping replaces them instead of failing a request.
    first = await plat.call("GET", "/namespaces")
    assert first.status_code == 200, first.text


async def test_a_metrics_scrape_never_touches_the_database(outage_platform: Platform, proxy: TcpProxy) -> None:
    await outage_platform.rt.operations.refresh_gauges()
    await proxy.cut()
    scrape = await outage_platform.client.get("/metrics")
    assert scrape.status_code == 200
    assert "nsaas_gauges_age_seconds" in scrape.text
    assert "nsaas_namespaces" in scrape.text


async def test_the_listen_connection_comes_back_after_an_outage_and_says_so(
    outage_platform: Platform, proxy: TcpProxy
) -> None:
    bus = outage_platform.rt.bus
    assert isinstance(bus, postgres.PostgresBus)
    assert bus.status()["listening"] is True
    await proxy.cut()
    await _eventually(lambda: not bus.status()["listening"])
    assert metrics.EVENT_LISTENER_CONNECTED._value.get() == 0
    detailed = (await outage_platform.client.get("/health/detailed")).json()
    assert detailed["eventListener"]["listening"] is False
    assert detailed["status"] == "not-ready"  # the cut takes the database away too
    await proxy.restore()
    await _eventually(lambda: bus.status()["listening"])
    assert bus.status()["reconnects"] >= 1
    assert metrics.EVENT_LISTENER_CONNECTED._value.get() == 1
    # Cross-replica wake-ups work again: another process's NOTIFY reaches this one.
    other = postgres.PostgresBus(db_support.POSTGRES_URL)
    try:
        async with bus.subscribe() as wakeups:
            await other.publish(987654)
            seen = await asyncio.wait_for(wakeups.get(), timeout=10)
            while seen != 987654:
                seen = await asyncio.wait_for(wakeups.get(), timeout=10)
    finally:
        await other.aclose()
    assert (await outage_platform.client.get("/health/detailed")).json()["eventListener"]["listening"] is True


async def test_a_process_started_during_an_outage_waits_for_the_database(
    proxy: TcpProxy, kubeconfig_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.platform import settings_for

    await proxy.cut()
    settings = settings_for(tmp_path, kubeconfig_path, database_url=_via(proxy))
    settings.auth_mode = "azure-ad"  # not dev mode: a production process does not migrate by itself
    build = asyncio.create_task(runtime.build(settings, component="worker"))
    await asyncio.sleep(1.0)
    assert not build.done()  # still waiting, not exited
    await proxy.restore()
    rt = await asyncio.wait_for(build, timeout=20)
    await rt.aclose()
    captured = capsys.readouterr()
    assert "waiting for the database" in captured.out + captured.err


async def test_waiting_for_the_database_gives_up_after_the_configured_time(proxy: TcpProxy) -> None:
    await proxy.cut()
    db = db_module.Database.create(_via(proxy))
    try:
        with pytest.raises(errors.DatabaseUnavailable):
            await db.wait_until_ready(within=0.5)
    finally:
        await db.dispose()


async def _upgrade_process(url: str, *, waiting: asyncio.Event | None = None) -> tuple[int, str]:
    env = {**os.environ, "NSAAS_DATABASE_URL": url, "NSAAS_DATABASE__STARTUP_WAIT_SECONDS": "60"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "nsaas.cli.main",
        "db",
        "upgrade",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    assert process.stdout is not None
    lines = []
    async for line in process.stdout:
        lines.append(line.decode())
        if waiting is not None and "waiting for the database" in lines[-1]:
            waiting.set()
    return await process.wait(), "".join(lines)


_AT_THE_SIGNAL = """
import sys
from nsaas.cli import main
print("ready", flush=True)
sys.stdin.readline()
main.app(["db", "upgrade"])
"""


@pytest.mark.slow
async def test_four_concurrent_upgrades_of_a_fresh_database_all_succeed(fresh_database: str) -> None:
    """One ``nsaas db upgrade`` per pod's init container: they must queue, not race on the DDL.

    Each process imports first and waits for a common signal, so the four really overlap.
    """
    url = make_url(db_support.POSTGRES_URL).set(database=fresh_database).render_as_string(hide_password=False)
    env = {**os.environ, "NSAAS_DATABASE_URL": url}
    processes = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _AT_THE_SIGNAL,
            cwd=ROOT,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        for _ in range(4)
    ]
    for process in processes:
        assert process.stdout is not None
        assert (await process.stdout.readline()).strip() == b"ready"
    for process in processes:
        assert process.stdin is not None
        process.stdin.write(b"go\n")
    results = await asyncio.gather(*(p.communicate() for p in processes))
    codes = [p.returncode for p in processes]
    assert codes == [0, 0, 0, 0], [out.decode()[-600:] for out, _ in results]


@pytest.mark.slow
async def test_db_upgrade_started_during_an_outage_waits_and_then_migrates(
    proxy: TcpProxy, fresh_database: str
) -> None:
    await proxy.cut()
    waiting = asyncio.Event()
    upgrade = asyncio.create_task(_upgrade_process(_via(proxy, database=fresh_database), waiting=waiting))
    await asyncio.wait_for(waiting.wait(), timeout=60)  # it says it waits, and does not exit
    await asyncio.sleep(0.5)
    assert not upgrade.done()
    await proxy.restore()
    code, out = await asyncio.wait_for(upgrade, timeout=60)
    assert code == 0, out

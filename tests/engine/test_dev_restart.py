"""``make run`` survives a restart: the embedded cluster keeps its objects under NSAAS_DATA_DIR."""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from nsaas import config
from nsaas.adapters.auth import dev
from tests.support.platform import free_port

API = "/api/platform/namespaces"
#: Two real starts of ``nsaas dev`` (~30 s on a busy machine): make ci runs it, make test leaves it out.
pytestmark = pytest.mark.slow


@pytest.fixture
def data_dir(tmp_path: pathlib.Path) -> pathlib.Path:
    return tmp_path / "data"


def _dev(data_dir: pathlib.Path, api_port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "NSAAS_DATA_DIR": str(data_dir),
        # Re-check ready namespaces every second, so a cluster that lost them is noticed within the test.
        "NSAAS_ENGINES__RESYNC_SECONDS": "1",
    }
    env.pop("NSAAS_DATABASE_URL", None)
    command = [sys.executable, "-m", "nsaas.cli.main", "dev", "--api-port", str(api_port), "--ui-port", "0"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for(check: object, *, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    return output


@pytest.fixture
def running(data_dir: pathlib.Path) -> Iterator[tuple[int, list[subprocess.Popen[str]]]]:
    port = free_port()
    started: list[subprocess.Popen[str]] = []
    yield port, started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)


def test_namespaces_stay_ready_across_a_restart_of_nsaas_dev(
    data_dir: pathlib.Path, running: tuple[int, list[subprocess.Popen[str]]]
) -> None:
    port, started = running
    started_clients: list[httpx.Client] = []
    try:
        _journey(data_dir, port, started, started_clients)
    finally:
        for client in started_clients:
            client.close()


def _journey(
    data_dir: pathlib.Path, port: int, started: list[subprocess.Popen[str]], started_clients: list[httpx.Client]
) -> None:
    base = f"http://127.0.0.1:{port}"
    token = dev.DevSigner.load_or_create(config.Settings(auth_mode="dev", data_dir=data_dir)).token_for(
        "team-a-developer"
    )
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    started_clients.append(client)
    body = {
        "namespaceName": "team-a-survivor",
        "team": "team-a",
        "environment": "development",
        "resourceTier": "small",
        "networkPolicy": "isolated",
    }

    def status() -> str:
        return str(client.get(f"{API}/team-a-survivor").json()["data"]["status"])

    started.append(_dev(data_dir, port))
    _wait_for(lambda: client.get("/health/live").status_code == 200)
    assert client.post(f"{API}/request", json=body).status_code == 202
    _wait_for(lambda: status() == "ready")
    first_output = _stop(started[0])
    assert started[0].returncode == 0, first_output
    assert (data_dir / "cluster-state.json").is_file()

    started.append(_dev(data_dir, port))
    _wait_for(lambda: client.get("/health/live").status_code == 200)
    time.sleep(3)  # several resyncs of the ready namespace (NSAAS_ENGINES__RESYNC_SECONDS=1)
    detail = client.get(f"{API}/team-a-survivor").json()["data"]
    _stop(started[1])
    assert detail["status"] == "ready", detail["statusReason"]
    assert detail["cluster"]["phase"] == "Active"
    assert detail["cluster"]["matches"] is True

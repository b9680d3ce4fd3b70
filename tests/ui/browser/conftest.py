"""The whole platform for browser tests: ``nsaas dev`` in a subprocess, and Debian's chromium.

``nsaas dev`` runs the real API, reconciler, UI and the embedded cluster simulator on free
loopback ports with a temporary ``NSAAS_DATA_DIR``: the browser goes through exactly what a
developer gets with ``make run``. Chromium is Debian's (``/usr/bin/chromium``); Playwright's own
browser download is never used. Without chromium these tests skip in ``make test`` and fail in
``make ci`` (``NSAAS_REQUIRE_BROWSER=1``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from playwright.sync_api import Browser, sync_playwright

from tests.support.requirements import need
from tests.ui.browser.support import Portal

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "ui"
START_TIMEOUT_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_up(urls: list[str], process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    pending = list(urls)
    while pending:
        if process.poll() is not None:
            pytest.fail(f"nsaas dev exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"nsaas dev did not answer {pending} in {START_TIMEOUT_SECONDS} s:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(pending[0], timeout=1.0).status_code == 200:
                pending.pop(0)
                continue
        time.sleep(0.2)


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``nsaas dev`` on free ports; yields the UI's base URL."""
    need("browser", available=os.path.exists(CHROMIUM), reason=f"{CHROMIUM} is not installed")
    data = tmp_path_factory.mktemp("nsaas-dev")
    api_port, ui_port = _free_port(), _free_port()
    log = data / "nsaas-dev.log"
    env = {
        **os.environ,
        "NSAAS_DATA_DIR": str(data),
        "NSAAS_LOG_JSON": "false",
        # A failing namespace gives up after 3 quick attempts, so "failed -> retry" takes seconds.
        "NSAAS_ENGINES__MAX_ATTEMPTS": "3",
        "NSAAS_ENGINES__BACKOFF_BASE_SECONDS": "0.2",
        # Every browser test shares this platform and requests for team-a; the per-user creation
        # rate and the team cap are tested in tests/api, not here.
        "NSAAS_AUTH__CREATE_LIMIT": "500",
        "NSAAS_POLICY__TEAM_NAMESPACE_CAP": "500",
    }
    command = [sys.executable, "-m", "nsaas.cli.main", "dev", "--api-port", str(api_port), "--ui-port", str(ui_port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up([f"http://127.0.0.1:{api_port}/health", f"http://127.0.0.1:{ui_port}/healthz"], process, log)
        os.environ["NSAAS_TEST_DEV_DATA_DIR"] = str(data)
        yield f"http://127.0.0.1:{ui_port}"
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class SimulatorFaults:
    """Switches fault rules of the embedded cluster simulator of ``nsaas dev`` (its ``/_sim/faults``)."""

    def __init__(self, data_dir: Path) -> None:
        config = yaml.safe_load((data_dir / "kubeconfig.yaml").read_text())
        self.server = config["clusters"][0]["cluster"]["server"]
        token = config["users"][0]["user"].get("token", "")
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def fail(self, *, verb: str, resource: str) -> None:
        rule = {"verb": verb, "resource": resource, "error": "403", "rate": 1}  # a refusal: uses up attempts
        answer = httpx.post(f"{self.server}/_sim/faults", json={"rules": [rule]}, headers=self.headers, verify=False)
        answer.raise_for_status()

    def clear(self) -> None:
        httpx.delete(f"{self.server}/_sim/faults", headers=self.headers, verify=False).raise_for_status()


@pytest.fixture
def faults(platform: str) -> Iterator[SimulatorFaults]:
    switch = SimulatorFaults(Path(os.environ["NSAAS_TEST_DEV_DATA_DIR"]))
    yield switch
    switch.clear()


@pytest.fixture
def portal(browser: Browser, platform: str) -> Iterator[Portal]:
    """Pages per persona; the test fails if any page logged an error or broke its CSP."""
    opened = Portal(browser, platform)
    yield opened
    opened.close()
    assert opened.console_errors == [], "the pages logged errors or broke their Content-Security-Policy"


@pytest.fixture(scope="module")
def browser(platform: str) -> Iterator[Browser]:
    """Module-scoped on purpose: sync Playwright keeps an event loop running in this thread while it
    is open, which would break every asyncio test that pytest runs after it in the same session."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            headless=True,
        )
        yield launched
        launched.close()

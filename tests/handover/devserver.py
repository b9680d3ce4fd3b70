"""``nsaas dev`` as a real subprocess on free ports with its own data directory, for end-to-end CLI tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.platform import free_port

NSAAS = str(Path(sys.executable).with_name("nsaas"))
#: Quick failure for the forced-failure path: two attempts, short backoff.
FAST_FAILURE = {
    "NSAAS_ENGINES__MAX_ATTEMPTS": "2",
    "NSAAS_ENGINES__BACKOFF_BASE_SECONDS": "0.1",
    "NSAAS_ENGINES__BACKOFF_MAX_SECONDS": "0.2",
    "NSAAS_CLUSTER__MAX_RETRIES": "0",
}


@dataclass(frozen=True)
class DevServer:
    api_url: str
    data_dir: Path
    env: Mapping[str, str]

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig.yaml"

    def cli(self, *args: str, timeout: float = 180, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``nsaas ARGS`` as a user would, against this server."""
        return subprocess.run(
            [NSAAS, *args],
            env=dict(self.env),
            capture_output=True,
            text=True,
            timeout=timeout,
            input=stdin,
            check=False,
        )


@contextlib.contextmanager
def running(tmp: Path, *, extra_env: Mapping[str, str] | None = None) -> Iterator[DevServer]:
    data_dir = tmp / "data"
    api_port, ui_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("NSAAS_")},
        **FAST_FAILURE,
        **(extra_env or {}),
        "NSAAS_DATA_DIR": str(data_dir),
        "NSAAS_CONFIG_DIR": str(tmp / "config"),
        "NSAAS_API_URL": f"http://127.0.0.1:{api_port}",
    }
    log = (tmp / "dev.log").open("w")
    process = subprocess.Popen(
        [NSAAS, "dev", "--api-port", str(api_port), "--ui-port", str(ui_port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{api_port}/health/live", process, tmp / "dev.log")
        yield DevServer(api_url=f"http://127.0.0.1:{api_port}", data_dir=data_dir, env=env)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"nsaas dev exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.3)
    raise AssertionError(f"nsaas dev did not come up in 180 s:\n{log.read_text()}")

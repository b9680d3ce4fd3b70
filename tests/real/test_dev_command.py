"""``nsaas dev --kubeconfig``: API, worker and UI against the real control plane, no simulator."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.real.conftest import kubectl
from tests.support.platform import free_port, request_body, unique

pytestmark = pytest.mark.real

NSAAS = [sys.executable, "-m", "nsaas.cli.main"]


def _wait_for(url: str, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"nsaas dev exited {process.returncode}: {process.communicate()[0][-3000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {seconds}s")


def test_nsaas_dev_provisions_on_the_real_cluster(real_kubeconfig: Path, tmp_path: Path) -> None:
    api_port, ui_port = free_port(), free_port()
    env = {**os.environ, "NSAAS_DATA_DIR": str(tmp_path), "NSAAS_AUTH_MODE": "dev"}
    process = subprocess.Popen(
        [*NSAAS, "dev", "--kubeconfig", str(real_kubeconfig), "--api-port", str(api_port), "--ui-port", str(ui_port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        api = f"http://127.0.0.1:{api_port}"
        _wait_for(f"{api}/health", process)
        _wait_for(f"http://127.0.0.1:{ui_port}/healthz", process)
        token = subprocess.run(
            [*NSAAS, "token", "--persona", "team-a-developer"], env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
        name = unique("dev")
        body = request_body(name, description="nsaas dev against the real control plane")
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=api, headers=headers) as http:
            accepted = http.post("/api/platform/namespaces/request", json=body)
            assert accepted.status_code == 202, accepted.text
            status = ""
            for _ in range(300):
                status = http.get(f"/api/platform/namespaces/{name}").json()["data"]["status"]
                if status == "ready":
                    break
                time.sleep(0.1)
            assert status == "ready"
        label = kubectl(
            real_kubeconfig, "get", "namespace", name, "-o", "jsonpath={.metadata.labels.platform\\.io/managed}"
        )
        assert label.stdout == "true"
        kubectl(real_kubeconfig, "delete", "namespace", name, "--wait=false")
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()

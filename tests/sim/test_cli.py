"""``nsaas sim`` runs in the foreground, prints its URL and kubeconfig path, and stops on Ctrl-C."""

from __future__ import annotations

import base64
import pathlib
import signal
import ssl
import subprocess
import sys

import httpx
import pytest
import yaml


@pytest.mark.slow  # starts the `nsaas sim` process and waits for it to serve and stop
def test_nsaas_sim_serves_until_interrupted(tmp_path: pathlib.Path) -> None:
    kubeconfig = tmp_path / "kubeconfig.yaml"
    command = [sys.executable, "-m", "nsaas.cli.main", "sim", "--port", "0", "--kubeconfig", str(kubeconfig)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().split(" at ")[-1].strip()
            printed_path = process.stdout.readline().split(": ", 1)[-1].strip()
            config = yaml.safe_load(kubeconfig.read_text())
            token = config["users"][0]["user"]["token"]
            ca = base64.b64decode(config["clusters"][0]["cluster"]["certificate-authority-data"]).decode()
            with httpx.Client(verify=ssl.create_default_context(cadata=ca)) as client:
                response = client.get(f"{url}/api/v1/namespaces", headers={"Authorization": f"Bearer {token}"})
        finally:
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=20)

    assert url.startswith("https://127.0.0.1:")
    assert pathlib.Path(printed_path) == kubeconfig.resolve()
    assert config["clusters"][0]["cluster"]["server"] == url
    assert response.status_code == 200
    assert process.returncode == 0

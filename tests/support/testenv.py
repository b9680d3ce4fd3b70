"""The ``real`` tier: tests against a real kube-apiserver, etcd and kube-controller-manager.

``make testenv`` builds ``.tools/kube-testenv`` from the Go module in ``testenv/``; the session
fixture ``real_cluster`` starts it once (in a temporary directory), reads its one ``ready
kubeconfig=...`` line and stops it with SIGTERM at the end, checking that it exits cleanly.

The tier never skips: a test marked ``real`` that skips (for whatever reason: a missing binary,
CRD or API group) is reported as failed, so ``make test-real`` and ``make ci`` cannot go green by
quietly testing less. ``make test`` deselects the tier (``-m "not real"``): it needs only Python.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("NSAAS_TESTENV_BIN", ROOT / ".tools" / "kube-testenv"))
READY_TIMEOUT_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 60.0

#: The real tier's marker, for parametrizing a cluster fixture over the simulator and the real server.
REAL = pytest.mark.real


@dataclass(frozen=True)
class RealCluster:
    kubeconfig: Path
    directory: Path
    seconds_to_ready: float


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    """A skip in the real tier is a failure: the tier must prove what it claims or fail."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if report.skipped and item.get_closest_marker("real") is not None and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"the real tier may not skip, but this test skipped: {reason}"


def _read_ready_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The first stdout line of the testenv, or "" if none came within ``timeout``."""
    lines: list[str] = []
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0].strip() if lines else ""


@pytest.fixture(scope="session")
def real_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealCluster]:
    if not BINARY.is_file():
        pytest.fail(f"{BINARY} is missing: build the control plane with `make testenv` (needs Go)")
    directory = tmp_path_factory.mktemp("kube-testenv")
    stderr_path = directory / "stderr.log"
    started = time.monotonic()
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [str(BINARY), "--dir", str(directory)], stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    line = _read_ready_line(process, READY_TIMEOUT_SECONDS)
    seconds = time.monotonic() - started
    expected = f"ready kubeconfig={directory / 'admin.kubeconfig'}"
    if line != expected:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
        assert process.stdout is not None
        process.stdout.close()
        log = (directory / "testenv.log").read_text()[-4000:] if (directory / "testenv.log").exists() else ""
        pytest.fail(
            f"kube-testenv did not get ready (first line {line!r}); "
            f"stderr: {stderr_path.read_text()[-2000:]}\nlog tail: {log}"
        )
    try:
        yield RealCluster(kubeconfig=directory / "admin.kubeconfig", directory=directory, seconds_to_ready=seconds)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            pytest.fail(f"kube-testenv did not stop within {STOP_TIMEOUT_SECONDS}s of SIGTERM")
        finally:
            assert process.stdout is not None
            process.stdout.close()
        assert process.returncode == 0, f"kube-testenv exited {process.returncode}: {stderr_path.read_text()[-2000:]}"


@pytest.fixture(scope="session")
def real_kubeconfig(real_cluster: RealCluster) -> Path:
    return real_cluster.kubeconfig

"""Cluster fixtures: the embedded simulator and clients of it.

* ``simulator``: one simulator per test session, on its own loop in a background thread, so sync
  and async tests share it. Tests isolate themselves by namespace, never by restarting it.
* ``kubeconfig_path`` (= ``default_kubeconfig_path``): the real cluster's kubeconfig when
  ``NSAAS_E2E_KUBECONFIG`` is set (then the simulator is never started), else the simulator's.
  Conformance tests take only this (and in the real tier, the testenv's as well).
* ``sim_faults``: the simulator's fault rules (``set([...], seed=...)``, ``clear()``,
  ``stats()``); cleared after each test so a failing test cannot leak faults into the next.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator

import pytest

from nsaas.sim import faults, server


@pytest.fixture(scope="session")
def simulator() -> Iterator[server.Simulator]:
    with server.running_in_thread() as sim:
        yield sim


@pytest.fixture(scope="session")
def sim_kubeconfig(simulator: server.Simulator, tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    return simulator.write_kubeconfig(tmp_path_factory.mktemp("sim") / "kubeconfig.yaml")


@pytest.fixture(scope="session")
def default_kubeconfig_path(request: pytest.FixtureRequest) -> pathlib.Path:
    real = os.environ.get("NSAAS_E2E_KUBECONFIG")
    if real:
        return pathlib.Path(real)
    path: pathlib.Path = request.getfixturevalue("sim_kubeconfig")
    return path


@pytest.fixture(scope="session")
def kubeconfig_path(default_kubeconfig_path: pathlib.Path) -> pathlib.Path:
    return default_kubeconfig_path


@pytest.fixture
def sim_faults(simulator: server.Simulator) -> Iterator[faults.Faults]:
    simulator.faults.clear()
    yield simulator.faults
    simulator.faults.clear()

"""Fixtures for simulator tests: a raw HTTP client of the session simulator and a fresh namespace.

Raw HTTP (httpx) is used on purpose: these tests pin down the wire behaviour (status codes,
``kind: Status`` bodies, headers) that real clients such as lightkube and kubectl depend on.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import httpx
import pytest

from nsaas.sim import server

_counter = itertools.count()
T = TypeVar("T")


def client_for(simulator: server.Simulator, *, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token or simulator.token}"}
    return httpx.Client(base_url=simulator.url, headers=headers, verify=simulator.client_ssl_context(), timeout=10)


@pytest.fixture
def kube(simulator: server.Simulator) -> Iterator[httpx.Client]:
    with client_for(simulator) as client:
        yield client


@pytest.fixture
def namespace(kube: httpx.Client, request: pytest.FixtureRequest) -> str:
    """A new namespace for this test (tests share one simulator and isolate by namespace)."""
    words = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower())[:40].strip("-")
    name = f"t{next(_counter)}-{words}"
    response = kube.post("/api/v1/namespaces", json={"metadata": {"name": name}})
    assert response.status_code == 201, response.text
    return name


def eventually(probe: Callable[[], T | None], *, seconds: float = 5.0) -> T:
    """Poll ``probe`` until it returns something truthy (controllers work asynchronously)."""
    deadline = time.monotonic() + seconds
    while True:
        result = probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {seconds} s")
        time.sleep(0.01)

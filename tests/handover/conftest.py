"""One ``nsaas dev`` subprocess (free ports, its own data directory) shared by the handover tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.handover import devserver
from tests.support.requirements import need


@pytest.fixture(scope="package")
def dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[devserver.DevServer]:
    with devserver.running(tmp_path_factory.mktemp("nsaas-dev")) as server:
        yield server


@pytest.fixture(scope="package")
def kubectl() -> str:
    binary = shutil.which("kubectl")
    need("kubectl", available=binary is not None, reason="kubectl is not on PATH")
    assert binary is not None
    return binary

"""Shared fixtures. Each area keeps its fixtures in a plugin module under ``tests/support``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

from nsaas import logs

pytest_plugins = [
    "tests.support.db",
    "tests.support.cluster",
    "tests.support.platform",
    "tests.support.testenv",
]


@pytest.fixture(autouse=True)
def _default_logging() -> Iterator[None]:
    """Every test logs as the product does (``nsaas.logs``, console format).

    Not structlog's defaults: they render an exception with rich, locals and all, which took
    30-40 s per logged 500 here (and printed every local of the failing frames). A command run
    in-process (CliRunner) configures logging onto its captured, later closed, stderr; the next
    test starts again from this configuration.
    """
    logs.configure(level="INFO", json=False)
    yield
    structlog.reset_defaults()

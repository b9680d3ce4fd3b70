"""Shared fixtures. Each area keeps its fixtures in a plugin module under ``tests/support``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

pytest_plugins = [
    "tests.support.db",
    "tests.support.cluster",
    "tests.support.platform",
    "tests.support.testenv",
]


@pytest.fixture(autouse=True)
def _default_logging() -> Iterator[None]:
    """A command run in-process (CliRunner) configures logging onto its captured, later closed,
    stderr; every test starts again from structlog's defaults."""
    yield
    structlog.reset_defaults()

"""Shared fixtures. Each area keeps its fixtures in a plugin module under ``tests/support``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import structlog

from nsaas import config, logs, tracing

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


@pytest.fixture(scope="session", autouse=True)
def _tracer_provider() -> None:
    """A process installs its tracer provider once (OpenTelemetry refuses a second): the tests'
    own goes first, so which test an xdist worker happens to run first (an in-process ``nsaas
    serve worker``, say) does not decide the service name every later span carries."""
    tracing.configure(config.Settings(auth_mode="dev"), component="test")

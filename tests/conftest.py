"""Shared fixtures. Each area keeps its fixtures in a plugin module under ``tests/support``."""

pytest_plugins = [
    "tests.support.db",
    "tests.support.cluster",
    "tests.support.platform",
    "tests.support.testenv",
]

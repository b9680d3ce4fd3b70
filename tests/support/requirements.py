"""Optional test prerequisites: skipped with a visible reason in ``make test``, required in ``make ci``.

``make ci`` sets ``NSAAS_REQUIRE_POSTGRES``, ``NSAAS_REQUIRE_BROWSER`` and ``NSAAS_REQUIRE_KUBECTL``;
then a missing prerequisite fails the test instead of skipping it, so CI can never go green by
quietly running less.
"""

from __future__ import annotations

import os

import pytest


def need(kind: str, *, available: bool, reason: str) -> None:
    """Skip (or, when ``NSAAS_REQUIRE_<KIND>`` is set, fail) unless ``available``."""
    if available:
        return
    if os.environ.get(f"NSAAS_REQUIRE_{kind.upper()}"):
        pytest.fail(f"{kind} is required here (NSAAS_REQUIRE_{kind.upper()}=1) but unavailable: {reason}")
    pytest.skip(f"{kind} unavailable: {reason}")

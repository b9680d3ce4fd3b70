"""Kubernetes quantities parse to exact base units, and quota usage pairs used with hard."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nsaas.adapters.kube import quantity, results


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2", Decimal(2)),
        ("500m", Decimal("0.5")),
        ("1.5", Decimal("1.5")),
        ("2Gi", Decimal(2 * 1024**3)),
        ("128Mi", Decimal(128 * 1024**2)),
        ("1k", Decimal(1000)),
        ("1M", Decimal(10**6)),
        ("1e3", Decimal(1000)),
        (" 4 ", Decimal(4)),
    ],
)
def test_quantities_parse_to_base_units(text: str, expected: Decimal) -> None:
    assert quantity.parse(text) == expected


def test_integers_are_quantities_but_booleans_are_not() -> None:
    assert quantity.parse(10) == Decimal(10)
    with pytest.raises(ValueError, match="not a quantity"):
        quantity.parse(True)


@pytest.mark.parametrize("text", ["", "abc", "1Qi", "Gi", "team-a"])
def test_text_that_is_not_a_quantity_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        quantity.parse(text)
    assert quantity.try_parse(text) is None


def test_usage_reports_used_over_hard_per_resource() -> None:
    usage = quantity.usage(
        hard={"requests.cpu": "2", "requests.memory": "4Gi", "pods": "10"},
        used={"requests.cpu": "500m", "requests.memory": "1Gi", "pods": "10"},
    )
    assert usage["requests.cpu"].ratio == 0.25
    assert usage["requests.memory"].ratio == 0.25
    assert usage["pods"].ratio == 1.0


def test_a_resource_not_yet_counted_shows_zero_usage() -> None:
    usage = quantity.usage(hard={"services": "5"}, used={})
    assert usage["services"].used == 0
    assert usage["services"].ratio == 0.0


def test_unparsable_entries_are_left_out_rather_than_guessed() -> None:
    assert quantity.usage(hard={"pods": "ten"}, used={"pods": "1"}) == {}


def test_a_zero_limit_is_full_only_when_something_uses_it() -> None:
    assert results.ResourceUsage(used=Decimal(0), hard=Decimal(0)).ratio == 0.0
    assert results.ResourceUsage(used=Decimal(1), hard=Decimal(0)).ratio == float("inf")

"""How figures read on the pages."""

from __future__ import annotations

from nsaas.domain import lifecycle
from nsaas.ui import filters


def test_memory_and_storage_quotas_read_in_gib_and_mib() -> None:
    assert filters.quantity("8589934592", "limits.memory") == "8Gi"
    assert filters.quantity("536870912", "requests.memory") == "512Mi"
    assert filters.quantity("21474836480", "requests.storage") == "20Gi"


def test_other_quantities_are_shown_as_the_api_reports_them() -> None:
    assert filters.quantity("10", "pods") == "10"
    assert filters.quantity("500m", "limits.cpu") == "500m"


def test_every_lifecycle_status_has_a_badge_tone() -> None:
    assert {s.value for s in lifecycle.Status} <= set(filters.TONES)


def test_money_and_durations_are_rounded_for_reading() -> None:
    assert filters.money(1234.5, "USD") == "1,234.50 USD"
    assert filters.seconds(1.234) == "1.2 s"
    assert filters.seconds(300) == "5.0 min"
    assert filters.when("2025-01-31T14:05:09+00:00") == "2025-01-31 14:05 UTC"

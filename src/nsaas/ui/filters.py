"""Template filters: how dates, money, statuses and ratios read on a page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jinja2

from nsaas.domain import failures

#: Status -> badge tone (CSS class); every lifecycle status has one.
TONES = {
    "pending-approval": "wait",
    "provisioning": "busy",
    "updating": "busy",
    "decommissioning": "busy",
    "ready": "good",
    "failed": "bad",
    "rejected": "bad",
    "deleted": "ended",
    "expired": "ended",
    "cancelled": "ended",
}


HEADLINES = {
    "pending-approval": "Waiting for approval",
    "provisioning": "Being provisioned",
    "updating": "Applying a change",
    "ready": "Ready",
    "failed": "Failed",
    "decommissioning": "Being decommissioned",
    "deleted": "Deleted",
    "expired": "Expired: its TTL ran out",
    "rejected": "Rejected",
    "cancelled": "Cancelled",
}


def headline(status: Any) -> str:
    return HEADLINES.get(str(status), str(status))


def cause(message: Any) -> str:
    """A failure message as its one-line root cause (the full text stays on the detail page)."""
    return failures.root_cause(str(message or "")) or ""


def _parsed(value: Any) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def expires_within(value: Any, *, days: float) -> bool:
    """Whether an expiry time is set and less than ``days`` away (already past counts too)."""
    moment = _parsed(value) if value else None
    return moment is not None and moment - dt.datetime.now(dt.UTC) < dt.timedelta(days=days)


def when(value: Any) -> str:
    """An API timestamp as ``2025-01-31 14:05 UTC``; empty for none."""
    if not value:
        return ""
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.UTC)
    return parsed.strftime("%Y-%m-%d %H:%M UTC")


def money(value: Any, currency: str = "USD") -> str:
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return "-"
    return f"{amount:,.2f} {currency}"


def tone(status: Any) -> str:
    return TONES.get(str(status), "ended")


def percent(value: Any) -> str:
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return "-"


def seconds(value: Any) -> str:
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return "-"
    return f"{amount:.1f} s" if amount < 120 else f"{amount / 60:.1f} min"


def quantity(value: Any, resource: str = "") -> str:
    """Byte counts of memory and storage quotas as GiB/MiB (the API reports plain bytes)."""
    text = str(value)
    if not text.isdigit() or not any(word in resource for word in ("memory", "storage")):
        return text
    amount = int(text)
    for unit, size in (("Gi", 1024**3), ("Mi", 1024**2)):
        if amount >= size:
            return f"{amount / size:g}{unit}"
    return text


def install(env: jinja2.Environment) -> None:
    env.filters.update(when=when, money=money, tone=tone, percent=percent, seconds=seconds, quantity=quantity)
    env.filters.update(headline=headline, cause=cause)

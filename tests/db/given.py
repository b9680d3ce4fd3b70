"""Small builders for repository tests: a valid spec, a new request, an audit entry, a clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from nsaas.adapters.db import repository
from nsaas.domain import lifecycle, records, requests
from nsaas.services import bodies

S = lifecycle.Status
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = field(default=T0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def spec(name: str = "payments-dev", **overrides: Any) -> requests.NamespaceSpec:
    body: dict[str, Any] = {
        "namespaceName": name,
        "team": "team-a",
        "environment": "development",
        "resourceTier": "small",
        "networkPolicy": "isolated",
        "features": ["monitoring-enhanced"],
    }
    body.update(overrides)
    return bodies.parse_spec(body)


def new_request(
    name: str = "payments-dev",
    *,
    status: lifecycle.Status = S.PROVISIONING,
    due: datetime | None = None,
    **spec_fields: Any,
) -> records.NewRequest:
    return records.NewRequest(
        spec=spec(name, **spec_fields),
        status=status,
        engine="direct",
        requested_by="alice@example.com",
        next_attempt_at=due,
    )


def audit(action: str = "namespace.request", target: str = "payments-dev", **fields: Any) -> records.NewAudit:
    return records.NewAudit(actor=fields.pop("actor", "alice@example.com"), action=action, target_type="namespace",
                            target=target, roles=("team:team-a:developer",), **fields)  # fmt: skip


def event(message: str = "requested", kind: records.EventKind = "status") -> records.NewEvent:
    return records.NewEvent(kind=kind, message=message)


async def create(repo: repository.Repository, name: str = "payments-dev", **kwargs: Any) -> records.RequestRecord:
    return await repo.create_request(new_request(name, **kwargs), event=event(), audit=audit(target=name))

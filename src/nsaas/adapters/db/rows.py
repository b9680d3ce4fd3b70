"""Row <-> record conversion: the only place that knows both the schema and the domain records."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import RowMapping

from nsaas.domain import lifecycle, records, requests, templates


def request(row: RowMapping) -> records.RequestRecord:
    values = dict(row)
    values["spec"] = spec_from_column(values["spec"])
    values["status"] = lifecycle.Status(values["status"])
    end_state = values["end_state"]
    values["end_state"] = None if end_state is None else lifecycle.Status(end_state)
    values["warnings_sent"] = tuple(int(h) for h in values["warnings_sent"] or ())
    return records.RequestRecord(**values)


def changed_values(before: records.RequestRecord, after: records.RequestRecord) -> dict[str, Any]:
    """Column values of every field that differs between two states of one request."""
    values: dict[str, Any] = {}
    for name in records.RequestRecord.__dataclass_fields__:
        value = getattr(after, name)
        if value != getattr(before, name):
            values[name] = _column(value)
    return values


def _column(value: Any) -> Any:
    if isinstance(value, requests.NamespaceSpec):
        return spec_column(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return value


def spec_column(spec: requests.NamespaceSpec) -> dict[str, Any]:
    """The JSON stored for a spec: the database's own format, written and read only here.

    Its keys are camelCase since the first release and stay so, so every stored row still loads
    (:func:`spec_from_column`) whatever the API's shape becomes."""
    stored: dict[str, Any] = {
        "namespaceName": spec.name,
        "team": spec.team,
        "environment": spec.environment,
        "resourceTier": spec.tier,
        "networkPolicy": spec.network_policy,
        "features": list(spec.features),
        "description": spec.description,
        "costCenter": spec.cost_center,
    }
    if spec.rbac is not None:
        stored["rbacConfig"] = {
            "principalId": spec.rbac.principal_id,
            "principalType": spec.rbac.principal_type,
            "roleDefinition": spec.rbac.role_definition,
        }
    if spec.ttl_hours is not None:
        stored["ttl"] = f"{spec.ttl_hours}h"
    return stored


def spec_from_column(stored: Mapping[str, Any]) -> requests.NamespaceSpec:
    """A stored spec back as the domain's: the reader of :func:`spec_column`'s keys.

    Tolerant of rows older writers left: optional keys may be absent, ``ttl`` may be ``"72h"``,
    ``"3d"`` or a number of hours, and feature order is made canonical again.
    """
    rbac = stored.get("rbacConfig")
    features = set(stored.get("features") or ())
    return requests.NamespaceSpec(
        name=stored["namespaceName"],
        team=stored["team"],
        environment=stored["environment"],
        tier=stored["resourceTier"],
        network_policy=stored["networkPolicy"],
        features=tuple(f for f in requests.FEATURES if f in features),
        description=stored.get("description") or "",
        cost_center=stored.get("costCenter") or "",
        rbac=None
        if not rbac
        else requests.RbacConfig(
            principal_id=str(rbac["principalId"]).lower(),
            principal_type=rbac["principalType"],
            role_definition=rbac["roleDefinition"],
        ),
        ttl_hours=_stored_ttl(stored.get("ttl")),
    )


def _stored_ttl(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text[:-1]) * 24 if text.endswith("d") else int(text.removesuffix("h"))


def event(row: RowMapping) -> records.EventRecord:
    values = dict(row)
    values["status"] = lifecycle.Status(values["status"])
    values["data"] = values["data"] or {}
    return records.EventRecord(**values)


def audit(row: RowMapping) -> records.AuditRecord:
    values = dict(row)
    values["roles"] = tuple(values["roles"] or ())
    return records.AuditRecord(**values)


def idempotency(row: RowMapping) -> records.IdempotencyRecord:
    return records.IdempotencyRecord(**dict(row))


def new_request_values(new: records.NewRequest, *, now: datetime) -> dict[str, Any]:
    spec = new.spec
    return {
        "id": new.id,
        "name": spec.name,
        "team": spec.team,
        "environment": spec.environment,
        "tier": spec.tier,
        "network_policy": spec.network_policy,
        "spec": spec_column(spec),
        "status": new.status.value,
        "status_reason": new.status_reason,
        "end_state": None,
        "version": 1,
        "generation": 1,
        "observed_generation": 0,
        "applied_digest": None,
        "engine": new.engine,
        "requested_by": new.requested_by,
        "traceparent": new.traceparent,
        "approved_by": new.approved_by,
        "approved_at": new.approved_at,
        "rejection_reason": None,
        "created_at": now,
        "updated_at": now,
        "ready_at": None,
        "expires_at": new.expires_at,
        "deleted_at": None,
        "attempts": 0,
        "next_attempt_at": new.next_attempt_at,
        "lease_owner": None,
        "lease_expires_at": None,
        "last_error": None,
        "last_resync_at": None,
        "warnings_sent": [],
        "workflow_name": None,
        "source": new.source,
        "source_ref": new.source_ref,
        "template_name": templates.STANDARD,
        "template_version": new.template_version,
        "template_pinned": False,
    }


def audit_values(entry: records.NewAudit, *, now: datetime) -> dict[str, Any]:
    return {
        "at": now,
        "actor": entry.actor,
        "roles": list(entry.roles),
        "action": entry.action,
        "target_type": entry.target_type,
        "target": entry.target,
        "before": jsonable(entry.before),
        "after": jsonable(entry.after),
        "correlation_id": entry.correlation_id,
        "source_ip": entry.source_ip,
        "user_agent": entry.user_agent,
        "outcome": entry.outcome,
        "detail": entry.detail,
    }


def jsonable(value: Any) -> Any:
    """``value`` with datetimes as ISO strings, enums as values and tuples as lists."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value

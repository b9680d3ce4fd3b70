"""Turning a caller's ``changes`` mapping into column values, with the rules every write obeys.

Kept apart from the SQL so the rules read in one place: which fields may change, that a spec
change bumps ``generation`` and refreshes the tier column, that a status change must be a legal
lifecycle transition, and that ``version`` bumps unless only reconciler bookkeeping changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from nsaas.domain import lifecycle, records, requests

#: Fields fixed at creation or maintained by the repository itself.
FIXED = frozenset({"id", "name", "team", "environment", "network_policy", "version", "created_at", "updated_at"})
CHANGEABLE = frozenset(f.name for f in records.RequestRecord.__dataclass_fields__.values()) - FIXED


def column_values(current: records.RequestRecord, changes: Mapping[str, Any], *, now: datetime) -> dict[str, Any]:
    """Column values for ``changes`` applied to ``current``; raises on an illegal change."""
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise ValueError(f"cannot change {', '.join(sorted(unknown))}; changeable: {', '.join(sorted(CHANGEABLE))}")
    values = {key: _column(value) for key, value in changes.items()}
    if "spec" in changes:
        derived = _spec_columns(current, changes["spec"])
        if "generation" in changes:  # an explicit generation wins over the automatic bump
            derived.pop("generation", None)
        values.update(derived)
    if "status" in values and values["status"] != current.status.value:
        lifecycle.check_transition(current.status, lifecycle.Status(values["status"]))
    if set(values) - records.BOOKKEEPING_FIELDS:
        values["version"] = current.version + 1
        values["updated_at"] = now
    return values


def status_changed(current: records.RequestRecord, values: Mapping[str, Any]) -> bool:
    return "status" in values and values["status"] != current.status.value


def _spec_columns(current: records.RequestRecord, spec: Any) -> dict[str, Any]:
    if not isinstance(spec, requests.NamespaceSpec):
        raise TypeError("changes['spec'] must be a NamespaceSpec")
    fixed = {"name": spec.name, "team": spec.team, "environment": spec.environment}
    moved = [key for key, value in fixed.items() if getattr(current, key) != value]
    if moved or spec.network_policy != current.network_policy:
        raise ValueError(f"a request's {', '.join(moved) or 'network_policy'} cannot change")
    body = spec.to_api()
    values: dict[str, Any] = {"spec": body, "tier": spec.tier}
    if body != dict(current.spec):
        values["generation"] = current.generation + 1
    return values


def _column(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, requests.NamespaceSpec):
        return value.to_api()
    return value


def audit_diff(current: records.RequestRecord, changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Old and new values of the changed fields, for an audit record that did not give its own."""
    before = {key: getattr(current, key) for key in changes}
    after = {key: _column(value) for key, value in changes.items()}
    return before, after

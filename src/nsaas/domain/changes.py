"""Typed changes of a stored request, and the rules every write obeys.

A use case or the reconciler describes what it wants changed as a :class:`Change` (a field left
at :data:`KEEP` is not touched); :meth:`Change.apply` turns it into the next
:class:`~nsaas.domain.records.RequestRecord`, enforcing what must stay true whatever stores it:

* the name, team, environment and network policy of a request never change;
* a spec change refreshes the tier and bumps ``generation`` when the spec really moved
  (``generation`` is the user-editable state, the ETag users hold);
* a status change must be a legal lifecycle transition (:func:`lifecycle.check_transition`);
* ``version`` (the internal optimistic-concurrency counter the reconciler relies on) and
  ``updated_at`` move unless only scheduling bookkeeping changed.

The database adapter stores the difference between the old and the new record generically and
an in-memory fake applies the very same rules, so services can be tested without a database.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from nsaas.domain import lifecycle, records, requests


class Keep(enum.Enum):
    """The marker of a field a change leaves alone (``None`` is a value: "clear it")."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """What one write changes; every field not given stays as it is."""

    spec: requests.NamespaceSpec | Keep = KEEP
    status: lifecycle.Status | Keep = KEEP
    status_reason: str | Keep = KEEP
    end_state: lifecycle.Status | Keep | None = KEEP
    approved_by: str | Keep | None = KEEP
    approved_at: datetime | Keep | None = KEEP
    rejection_reason: str | Keep | None = KEEP
    ready_at: datetime | Keep | None = KEEP
    expires_at: datetime | Keep | None = KEEP
    deleted_at: datetime | Keep | None = KEEP
    attempts: int | Keep = KEEP
    next_attempt_at: datetime | Keep | None = KEEP
    last_error: str | Keep | None = KEEP
    last_resync_at: datetime | Keep | None = KEEP
    lease_expires_at: datetime | Keep | None = KEEP
    applied_digest: str | Keep | None = KEEP
    observed_generation: int | Keep = KEEP
    warnings_sent: tuple[int, ...] | Keep = KEEP
    workflow_name: str | Keep | None = KEEP
    #: Which side owns the request (:mod:`nsaas.domain.sources`); changes only on a hand-over.
    source: str | Keep = KEEP
    source_ref: str | Keep | None = KEEP
    #: The bundle template version the namespace runs, and whether rollouts skip it.
    template_version: int | Keep = KEEP
    template_pinned: bool | Keep = KEEP

    def given(self) -> dict[str, Any]:
        """The fields this change sets, by name."""
        return {f.name: v for f in dataclasses.fields(self) if (v := getattr(self, f.name)) is not KEEP}

    def also(self, other: Change) -> Change:
        """This change plus ``other`` (``other`` wins where both set a field)."""
        return dataclasses.replace(self, **other.given())

    @property
    def moves_status(self) -> bool:
        return self.status is not KEEP

    def apply(self, current: records.RequestRecord, *, now: datetime) -> records.RequestRecord:
        """The record after this change; ValueError or InvalidTransition when it breaks a rule."""
        values = self.given()
        if isinstance(self.spec, requests.NamespaceSpec):
            values.update(_spec_fields(current, self.spec))
        if isinstance(self.status, lifecycle.Status) and self.status != current.status:
            lifecycle.check_transition(current.status, self.status)
        if set(values) - records.BOOKKEEPING_FIELDS:
            values.update(version=current.version + 1, updated_at=now)
        return dataclasses.replace(current, **values)

    def audit_diff(self, current: records.RequestRecord) -> tuple[dict[str, Any], dict[str, Any]]:
        """Old and new values of the changed fields, for an audit record that did not give its own."""
        given = self.given()
        before = {key: _plain(getattr(current, key)) for key in given}
        after = {key: _plain(value) for key, value in given.items()}
        return before, after


def _spec_fields(current: records.RequestRecord, spec: requests.NamespaceSpec) -> dict[str, Any]:
    fixed = {"name": spec.name, "team": spec.team, "environment": spec.environment}
    moved = [key for key, value in fixed.items() if getattr(current, key) != value]
    if moved or spec.network_policy != current.network_policy:
        raise ValueError(f"a request's {', '.join(moved) or 'network_policy'} cannot change")
    values: dict[str, Any] = {"spec": spec, "tier": spec.tier}
    if spec != current.spec:
        values["generation"] = current.generation + 1
    return values


def _plain(value: Any) -> Any:
    """A JSON-friendly value for the audit trail (a spec by its own field names: no wire format here)."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, requests.NamespaceSpec):
        return _plain(dataclasses.asdict(value))
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value

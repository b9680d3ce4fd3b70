"""What each user decision does to a stored request: the :class:`~nsaas.domain.changes.Change` to apply.

The use cases (:mod:`nsaas.services.requests`) check who may act and write the result; which
state a request moves to, and which bookkeeping fields move with it, is decided here, from the
request's current state alone. A decision the current state does not allow raises
:class:`errors.Conflict` saying why.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from nsaas.domain import errors, lifecycle, records, requests
from nsaas.domain.changes import Change

S = lifecycle.Status
#: States in which a request's spec may still be changed.
CHANGEABLE = frozenset({S.READY, S.FAILED, S.UPDATING, S.PROVISIONING, S.PENDING_APPROVAL})


def check_changeable(record: records.RequestRecord) -> None:
    if record.status not in CHANGEABLE:
        raise errors.Conflict(
            f"{record.name} is {record.status} and cannot be changed", details={"status": record.status}
        )


def change_spec(
    record: records.RequestRecord, new: requests.NamespaceSpec, *, ttl_given: bool, now: datetime
) -> Change:
    """A new spec: a live namespace is re-applied (``updating``); a new TTL restarts its clock."""
    check_changeable(record)
    old = record.spec_obj
    change = Change(spec=new)
    if new.ttl_hours != old.ttl_hours or ttl_given:
        expires = now + timedelta(hours=new.ttl_hours) if new.ttl_hours else None
        change = change.also(Change(expires_at=expires, warnings_sent=()))
    if new == old:
        return change
    if record.status in (S.READY, S.FAILED):
        return change.also(
            Change(
                status=S.UPDATING, status_reason="applying the change", attempts=0, next_attempt_at=now, last_error=None
            )
        )
    if record.status in (S.UPDATING, S.PROVISIONING):
        return change.also(Change(next_attempt_at=now))
    return change


def approve(record: records.RequestRecord, *, approver: str, now: datetime) -> Change:
    """Approved: provisioning starts now, and so does the TTL."""
    change = Change(
        status=S.PROVISIONING,
        status_reason="approved; queued for provisioning",
        approved_by=approver,
        approved_at=now,
        next_attempt_at=now,
    )
    ttl = record.spec_obj.ttl_hours
    if ttl:
        change = change.also(Change(expires_at=now + timedelta(hours=ttl), warnings_sent=()))
    return change


def reject(reason: str) -> Change:
    return Change(status=S.REJECTED, status_reason=f"rejected: {reason}", rejection_reason=reason, next_attempt_at=None)


def retry(record: records.RequestRecord, *, now: datetime) -> Change:
    """A failed request tries again with a fresh attempt budget; a stuck deletion is nudged."""
    if record.status == S.FAILED:
        target = S.UPDATING if record.ready_at is not None else S.PROVISIONING
        return Change(status=target, status_reason="retrying", attempts=0, next_attempt_at=now)
    if record.status == S.DECOMMISSIONING:
        return Change(attempts=0, next_attempt_at=now)
    raise errors.Conflict(
        f"{record.name} is {record.status}; only failed requests or a stuck deletion can be retried",
        details={"status": str(record.status)},
    )


def cancel(record: records.RequestRecord, *, now: datetime) -> Change:
    """Pending: cancelled outright. Provisioning: what was created is removed, ending ``cancelled``."""
    if record.status == S.PENDING_APPROVAL:
        return Change(status=S.CANCELLED, status_reason="cancelled", next_attempt_at=None)
    if record.status == S.PROVISIONING:
        return Change(
            status=S.DECOMMISSIONING,
            end_state=S.CANCELLED,
            next_attempt_at=now,
            status_reason="cancelled; removing what was created",
            attempts=0,
        )
    raise errors.Conflict(
        f"request {record.id} is {record.status}; only pending or provisioning requests can be cancelled "
        "(decommission a ready namespace instead)",
        details={"status": record.status},
    )


def decommission(*, starts_at: datetime, reason: str) -> Change:
    """Decommissioning starts after the grace period and ends ``deleted``."""
    return Change(
        status=S.DECOMMISSIONING,
        end_state=S.DELETED,
        attempts=0,
        last_error=None,
        next_attempt_at=starts_at,
        status_reason="decommission requested" + (f": {reason}" if reason else ""),
    )

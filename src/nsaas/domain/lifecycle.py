"""Lifecycle states of a namespace request and the transitions allowed between them.

Decommissioning ends in one of three terminal states, chosen when it starts: ``deleted`` (asked
for), ``expired`` (the TTL ran out) or ``cancelled`` (cancelled while provisioning). The
reconciler drives the rest; every transition is checked here so no code path can skip a step.
"""

from __future__ import annotations

from enum import StrEnum

from nsaas.domain import errors


class Status(StrEnum):
    PENDING_APPROVAL = "pending-approval"
    PROVISIONING = "provisioning"
    READY = "ready"
    UPDATING = "updating"
    FAILED = "failed"
    DECOMMISSIONING = "decommissioning"
    DELETED = "deleted"
    EXPIRED = "expired"
    REJECTED = "rejected"
    CANCELLED = "cancelled"


S = Status

TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.PENDING_APPROVAL: frozenset({S.PROVISIONING, S.REJECTED, S.CANCELLED}),
    S.PROVISIONING: frozenset({S.READY, S.FAILED, S.DECOMMISSIONING}),
    S.READY: frozenset({S.UPDATING, S.DECOMMISSIONING, S.PROVISIONING, S.FAILED}),
    S.UPDATING: frozenset({S.READY, S.FAILED, S.DECOMMISSIONING}),
    S.FAILED: frozenset({S.PROVISIONING, S.UPDATING, S.DECOMMISSIONING, S.READY}),
    S.DECOMMISSIONING: frozenset({S.DELETED, S.EXPIRED, S.CANCELLED, S.FAILED}),
    S.DELETED: frozenset(),
    S.EXPIRED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}

TERMINAL = frozenset(s for s, nxt in TRANSITIONS.items() if not nxt)
#: States in which the namespace exists or is meant to exist (counted against team caps).
LIVE = frozenset({S.PENDING_APPROVAL, S.PROVISIONING, S.READY, S.UPDATING, S.FAILED, S.DECOMMISSIONING})
#: Live states whose namespace holds its tier's quota (and so its cost): all but awaiting approval.
RESERVING = LIVE - {S.PENDING_APPROVAL}
#: States the reconciler has work to do in.
ACTIVE = frozenset({S.PROVISIONING, S.UPDATING, S.DECOMMISSIONING, S.READY, S.FAILED})
#: How decommissioning may end.
DECOMMISSION_OUTCOMES = frozenset({S.DELETED, S.EXPIRED, S.CANCELLED})


def can_transition(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


def check_transition(current: Status, target: Status) -> None:
    if not can_transition(current, target):
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none (terminal)"
        raise errors.InvalidTransition(
            f"a request in state {current} cannot become {target}; allowed next: {allowed}",
            details={"status": str(current)},
        )

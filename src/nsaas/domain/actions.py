"""Which actions a caller may take on a namespace in its current state, and why not when not.

The API answers these with the namespace's detail (``allowedActions`` and ``deniedActions``), so
every client (the portal above all) offers exactly what the use cases in
``nsaas.services.requests`` would accept, and can say why an action it does not offer is missing
instead of letting a user click and read a 403. The rules here mirror the checks those use cases
make; a test walks every status and persona through both and requires them to agree.

Only actions that make sense in the current state are listed at all: a ready namespace has no
"approve", allowed or not. An action that fits the state but not the caller goes to ``denied``
with a sentence the user can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nsaas.domain import identity, lifecycle

S = lifecycle.Status
APPROVE, REJECT, CANCEL, RETRY, CHANGE, EXTEND, DECOMMISSION = (
    "approve",
    "reject",
    "cancel",
    "retry",
    "change",
    "extend",
    "decommission",
)
#: Every action, in the order a page offers them.
ALL = (RETRY, APPROVE, REJECT, CANCEL, CHANGE, EXTEND, DECOMMISSION)

_BY_STATUS: dict[S, tuple[str, ...]] = {
    S.PENDING_APPROVAL: (APPROVE, REJECT, CANCEL, CHANGE, EXTEND),
    S.PROVISIONING: (CANCEL, CHANGE, EXTEND, DECOMMISSION),
    S.READY: (CHANGE, EXTEND, DECOMMISSION),
    S.UPDATING: (CHANGE, EXTEND, DECOMMISSION),
    S.FAILED: (RETRY, CHANGE, EXTEND, DECOMMISSION),
    S.DECOMMISSIONING: (RETRY,),
}


@dataclass(frozen=True, slots=True)
class Subject:
    """The facts of a namespace request the rules need (a record has them all)."""

    team: str
    environment: str
    status: S
    requested_by: str
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class Allowed:
    allowed: tuple[str, ...]
    denied: dict[str, str] = field(default_factory=dict)


def for_caller(principal: identity.Principal, subject: Subject, *, protect_production: bool) -> Allowed:
    """The actions of ``subject``'s state, split into allowed and denied (with the reason) for ``principal``."""
    candidates = _BY_STATUS.get(subject.status, ())
    if subject.status == S.DECOMMISSIONING and subject.attempts == 0:
        candidates = ()  # a deletion that is not stuck needs no nudge
    allowed: list[str] = []
    denied: dict[str, str] = {}
    for action in candidates:
        reason = _refusal(action, principal, subject, protect_production=protect_production)
        if reason is None:
            allowed.append(action)
        else:
            denied[action] = reason
    return Allowed(allowed=tuple(allowed), denied=denied)


def _refusal(action: str, principal: identity.Principal, subject: Subject, *, protect_production: bool) -> str | None:
    if action in (APPROVE, REJECT):
        if not principal.can_approve(team=subject.team, environment=subject.environment):
            who = "a platform admin or engineer"
            if subject.environment != identity.PRODUCTION:
                who += f" or an admin of team {subject.team}"
            return f"Only {who} may decide on this request."
        if action == APPROVE and subject.requested_by == principal.subject:
            return "You requested it yourself; a second person must approve it."
        return None
    if not principal.can_manage(subject.team):
        return f"You may view but not change namespaces of team {subject.team}."
    if (
        action == DECOMMISSION
        and protect_production
        and subject.environment == identity.PRODUCTION
        and not principal.has_any(frozenset({identity.PLATFORM_ADMIN, identity.PLATFORM_ENGINEER}))
    ):
        return "Production namespaces are protected: a platform admin or engineer must decommission them."
    return None

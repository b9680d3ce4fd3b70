"""Where a request is on its way: the stages shown as a progress bar on the detail page.

Derived from the status alone, so the same function renders the first page and every live
update (an SSE status event carries the new status, nothing else is needed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

State = Literal["done", "current", "failed", "todo", "skipped"]

PROVISION: tuple[str, ...] = ("Requested", "Approval", "Provisioning", "Ready")
#: Status -> (index of the current stage, state of that stage) on the provisioning path.
_PROVISION_AT: dict[str, tuple[int, State]] = {
    "pending-approval": (1, "current"),
    "rejected": (1, "failed"),
    "cancelled": (1, "failed"),
    "provisioning": (2, "current"),
    "updating": (2, "current"),
    "failed": (2, "failed"),
    "ready": (3, "done"),
}
ENDING: tuple[str, ...] = ("Ready", "Decommissioning", "Deleted")
_ENDING_AT: dict[str, tuple[int, State]] = {
    "decommissioning": (1, "current"),
    "deleted": (2, "done"),
    "expired": (2, "done"),
}


@dataclass(frozen=True, slots=True)
class Stage:
    label: str
    state: State


def stages(status: str, *, approval: bool = True) -> list[Stage]:
    """The stages for ``status``; ``approval=False`` (a request that never waited) shows it as skipped."""
    if status in _ENDING_AT:
        names, (at, state) = ENDING, _ENDING_AT[status]
    else:
        names, (at, state) = PROVISION, _PROVISION_AT.get(status, (0, "current"))
    found: list[Stage] = []
    for index, label in enumerate(names):
        if index < at:
            skipped = label == "Approval" and not approval
            found.append(Stage("Approval not needed", "skipped") if skipped else Stage(label, "done"))
        elif index == at:
            found.append(Stage(label if status != "expired" or label != "Deleted" else "Expired", state))
        else:
            found.append(Stage(label, "todo"))
    return found


#: Statuses in which the namespace can still be changed or decommissioned.
CHANGEABLE = frozenset({"ready", "failed", "updating", "provisioning"})


def action_group(status: str) -> str:
    """Which set of actions the detail page offers; the live stream reloads them when this changes."""
    if status == "pending-approval":
        return "decide"
    if status == "failed":
        return "retry"
    return "change" if status in CHANGEABLE else "none"


def needed_approval(detail: dict[str, object]) -> bool:
    """Whether the request went (or is going) through approval: a skipped stage is not a done one."""
    return bool(detail.get("approvedBy")) or detail.get("status") in ("pending-approval", "rejected")

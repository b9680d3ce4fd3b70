"""Every audit action name, listed once; no other name is written anywhere in the code."""

from __future__ import annotations

import re
from pathlib import Path

from nsaas.domain import audit, lifecycle

SRC = Path(__file__).resolve().parents[2] / "src" / "nsaas"
EVERY_ACTION = {
    "namespace.request",
    "namespace.update",
    "namespace.approve",
    "namespace.reject",
    "namespace.retry",
    "namespace.cancel",
    "namespace.decommission",
    "namespace.provisioned",
    "namespace.updated",
    "namespace.failed",
    "namespace.drift-corrected",
    "namespace.deleted-out-of-band",
    "namespace.orphan-deleted",
    "namespace.expire",
    "namespace.deleted",
    "namespace.expired",
    "namespace.cancelled",
    "access.denied",
    "team.create",
    "team.update",
    "template.create",
    "template.publish",
    "namespace.template-pin",
    "rollout.create",
    "rollout.rollback",
    "namespace.template-move",
}


def test_the_audit_actions_are_exactly_these() -> None:
    assert audit.ACTIONS == EVERY_ACTION


def test_every_finished_operation_and_end_state_maps_to_a_listed_action() -> None:
    assert set(audit.READY.values()) | set(audit.ENDED.values()) <= audit.ACTIONS
    assert set(audit.ENDED) == {str(s) for s in lifecycle.DECOMMISSION_OUTCOMES}


def test_no_module_spells_an_action_name_of_its_own() -> None:
    literal = re.compile(r"""["'](?:namespace|access)\.(?!html)[a-z-]+["']|f["'](?:namespace|access)\.\{""")
    offenders = [
        f"{path.relative_to(SRC)}: {match.group(0)}"
        for path in SRC.rglob("*.py")
        if path != SRC / "domain" / "audit.py" and "sim" not in path.parts
        for match in literal.finditer(path.read_text())
    ]
    assert offenders == []

"""Every audit action name nsaas writes, in one place.

Names are ``<target type>.<what happened>``: an imperative verb for what a person asked
(``namespace.approve``), a past participle for what the platform did (``namespace.provisioned``).
A SIEM filters on these strings, so they change only with a note in the README; the test
tests/unit/test_audit_actions.py lists them all and fails on a name written anywhere else.
"""

from __future__ import annotations

# Asked by a person or automation (services/requests.py).
REQUEST = "namespace.request"
UPDATE = "namespace.update"
APPROVE = "namespace.approve"
REJECT = "namespace.reject"
RETRY = "namespace.retry"
CANCEL = "namespace.cancel"
DECOMMISSION = "namespace.decommission"
# Done by the platform (the reconciler).
PROVISIONED = "namespace.provisioned"
UPDATED = "namespace.updated"
FAILED = "namespace.failed"
DRIFT_CORRECTED = "namespace.drift-corrected"
DELETED_OUT_OF_BAND = "namespace.deleted-out-of-band"
ORPHAN_DELETED = "namespace.orphan-deleted"
EXPIRE = "namespace.expire"
DELETED = "namespace.deleted"
EXPIRED = "namespace.expired"
CANCELLED = "namespace.cancelled"
# Refused by authorization (api/errors.py through services/denials.py).
ACCESS_DENIED = "access.denied"
# The team registry (services/teams.py): platform admins register and change teams.
TEAM_CREATE = "team.create"
TEAM_UPDATE = "team.update"
# Bundle templates (services/templates.py): platform admins create and publish versions, pin namespaces.
TEMPLATE_CREATE = "template.create"
TEMPLATE_PUBLISH = "template.publish"
TEMPLATE_PIN = "namespace.template-pin"
# Rollouts (services/rollouts.py, reconcile/rollouts.py): started and rolled back by platform admins;
# each namespace moved to another template version by the worker.
ROLLOUT_CREATE = "rollout.create"
ROLLOUT_ROLLBACK = "rollout.rollback"
TEMPLATE_MOVE = "namespace.template-move"

#: What a finished reconcile operation is called in the audit log.
READY = {"provision": PROVISIONED, "update": UPDATED}
#: The audit action of each final decommission status.
ENDED = {"deleted": DELETED, "expired": EXPIRED, "cancelled": CANCELLED}

ACTIONS = frozenset(
    {
        REQUEST,
        UPDATE,
        APPROVE,
        REJECT,
        RETRY,
        CANCEL,
        DECOMMISSION,
        PROVISIONED,
        UPDATED,
        FAILED,
        DRIFT_CORRECTED,
        DELETED_OUT_OF_BAND,
        ORPHAN_DELETED,
        EXPIRE,
        DELETED,
        EXPIRED,
        CANCELLED,
        ACCESS_DENIED,
        TEAM_CREATE,
        TEAM_UPDATE,
        TEMPLATE_CREATE,
        TEMPLATE_PUBLISH,
        TEMPLATE_PIN,
        ROLLOUT_CREATE,
        ROLLOUT_ROLLBACK,
        TEMPLATE_MOVE,
    }
)

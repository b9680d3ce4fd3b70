"""Reading the audit trail: only platform and security admins may."""

from __future__ import annotations

from datetime import datetime

from nsaas import metrics
from nsaas.domain import errors, identity, records
from nsaas.services import ports


class AuditTrail:
    def __init__(self, *, repo: ports.AuditLog) -> None:
        self.repo = repo

    async def page(
        self,
        principal: identity.Principal,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        outcome: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> tuple[list[records.AuditRecord], int]:
        """A page of audit records, newest first, and the total; PermissionDenied for anyone else."""
        if not principal.can_read_audit:
            metrics.AUTHZ_DENIALS.labels("audit").inc()
            raise errors.PermissionDenied(
                "the audit log is for platform and security admins", details={"role": "admin"}
            )
        return await self.repo.list_audit(
            actor=actor,
            action=action,
            target=target,
            outcome=outcome,
            since=since,
            until=until,
            offset=offset,
            limit=limit,
        )

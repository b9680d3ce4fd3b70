"""Reading the audit trail: only platform and security admins may, a page at a time or all of it for a SIEM."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import asdict

from nsaas import metrics
from nsaas.domain import errors, identity, records
from nsaas.services import ports


class AuditTrail:
    def __init__(self, *, repo: ports.AuditLog) -> None:
        self.repo = repo

    async def page(
        self, principal: identity.Principal, where: records.AuditQuery, *, offset: int = 0, limit: int = 100
    ) -> tuple[list[records.AuditRecord], int]:
        """A page of audit records, newest first, and the total; PermissionDenied for anyone else."""
        _require_reader(principal)
        return await self.repo.list_audit(**asdict(where), offset=offset, limit=limit)

    async def facets(self, principal: identity.Principal) -> dict[str, list[str]]:
        """The actions, actors and teams that occur: the choices of the log's filters."""
        _require_reader(principal)
        return await self.repo.audit_facets()

    def export(self, principal: identity.Principal, where: records.AuditQuery) -> AsyncIterator[records.AuditRecord]:
        """Every matching record, newest first, at most ``EXPORT_MAX_ROWS``, read a page at a time.

        The permission is checked now, not when the stream starts: a refusal is still a 403.
        """
        _require_reader(principal)
        return self._all(where)

    async def _all(self, where: records.AuditQuery) -> AsyncIterator[records.AuditRecord]:
        """Keyset pages (older than the last id read): each page costs the same however deep it is."""
        before_id: int | None = None
        for _ in range(0, EXPORT_MAX_ROWS, EXPORT_PAGE):
            items = await self.repo.audit_before(where, before_id=before_id, limit=EXPORT_PAGE)
            for item in items:
                yield item
            if len(items) < EXPORT_PAGE:
                return
            before_id = items[-1].id


EXPORT_PAGE = 500
EXPORT_MAX_ROWS = 100_000


def _require_reader(principal: identity.Principal) -> None:
    if not principal.can_read_audit:
        metrics.AUTHZ_DENIALS.labels("audit").inc()
        raise errors.PermissionDenied("the audit log is for platform and security admins", details={"role": "admin"})

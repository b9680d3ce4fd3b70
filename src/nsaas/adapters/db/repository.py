"""The repository: every read and write the API and the reconciler make, on SQLite or PostgreSQL.

Each public write is one transaction that also writes its status event and audit record, so
nothing is ever half-written: a refused write (stale version, illegal transition, lease held
by someone else) leaves no event and no audit record behind. Rows never leave this package:
methods return the frozen records of :mod:`nsaas.domain.records`. It implements
:class:`nsaas.services.ports.Repository`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import exc, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from nsaas.adapters.db import analytics, idempotency, journal, requests_sql, rows, tables
from nsaas.adapters.db import teams as teams_sql
from nsaas.adapters.db.database import Database
from nsaas.domain import changes, errors, lifecycle, records, teams

R = tables.namespace_requests
E = tables.status_events
#: Ids per ``IN (...)`` list: well under every driver's bound-parameter limit (SQLite's is 32,766).
ID_BATCH = 500
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class Repository:
    def __init__(
        self, database: Database, *, clock: Clock = utcnow, idempotency_ttl: timedelta = timedelta(hours=24)
    ) -> None:
        self.database = database
        self._clock = clock
        self._idempotency_ttl = idempotency_ttl

    # -- namespace requests: writes ---------------------------------------------------------

    async def create_request(
        self,
        new: records.NewRequest,
        *,
        event: records.NewEvent,
        audit: records.NewAudit,
        idempotency: records.IdempotencyClaim | None = None,
        capacity: teams.CapacityCheck | None = None,
    ) -> records.RequestRecord:
        """Store a new request with its first event and audit record (and idempotency entry).

        Raises :class:`errors.Conflict` (details ``namespaceName``) when a live request already
        has the name, or (details ``Idempotency-Key``) when the key was stored concurrently.
        ``capacity`` runs under the team's lock on the team's registry entry and the tiers of its
        live requests; what it raises (the cap or budget is used up) aborts the create.
        """
        now = self._clock()
        try:
            async with self.database.write() as conn:
                taken = await requests_sql.first(conn, requests_sql.live_by_name(new.spec.name))
                if taken is not None:
                    raise _name_taken(new.spec.name, taken)
                if capacity is not None:
                    await _check_capacity(conn, capacity, team=new.spec.team, exclude_id=None)
                result = await conn.execute(insert(R).values(rows.new_request_values(new, now=now)).returning(*R.c))
                record = rows.request(result.mappings().one())
                await journal.insert_event(conn, request=record, event=event, now=now)
                await journal.insert_audit(conn, entry=audit, now=now)
                if idempotency is not None:
                    await self._put_key(conn, claim=idempotency, now=now)
        except exc.IntegrityError as error:
            raise _create_conflict(new.spec.name, error) from error
        return record

    async def update(
        self,
        request_id: str,
        *,
        change: changes.Change,
        expected_version: int | None = None,
        expected_generation: int | None = None,
        event: records.NewEvent | None = None,
        audit: records.NewAudit | None = None,
        lease_owner: str | None = None,
        capacity: teams.CapacityCheck | None = None,
    ) -> records.RequestRecord:
        """Apply ``change`` in one transaction (the rules are :meth:`changes.Change.apply`'s).

        ``capacity`` (a tier change) runs under the team's lock on its registry entry and the tiers
        of its other live requests, as in :meth:`create_request`; what it raises aborts the write.

        ``expected_generation`` (the client's ETag) or ``expected_version`` (what a worker read)
        must match or :class:`errors.PreconditionFailed` is raised; None skips the check. A
        status change must be a legal lifecycle transition (:class:`errors.InvalidTransition`)
        and always records a status event. When ``lease_owner`` is given the write only happens
        while that worker holds the lease.
        """
        return await self._write(
            request_id,
            change=change,
            expected=_Expected(version=expected_version, generation=expected_generation, lease_owner=lease_owner),
            event=event,
            audit=audit,
            release=False,
            capacity=capacity,
        )

    async def release(
        self,
        request_id: str,
        *,
        worker: str,
        change: changes.Change | None = None,
        event: records.NewEvent | None = None,
        audit: records.NewAudit | None = None,
        expected_version: int | None = None,
    ) -> records.RequestRecord:
        """Record the outcome of a claimed piece of work and give the lease back.

        Raises :class:`errors.Conflict` if ``worker`` no longer holds the lease (it expired and
        another worker claimed the request): that worker's view wins, this outcome is dropped.
        With ``expected_version`` (the version the work was based on) a request changed by a user
        meanwhile raises :class:`errors.PreconditionFailed` and nothing is written.
        """
        return await self._write(
            request_id,
            change=change or changes.Change(),
            expected=_Expected(version=expected_version, lease_owner=worker),
            event=event,
            audit=audit,
            release=True,
        )

    async def _write(
        self,
        request_id: str,
        *,
        change: changes.Change,
        expected: _Expected,
        event: records.NewEvent | None,
        audit: records.NewAudit | None,
        release: bool,
        capacity: teams.CapacityCheck | None = None,
    ) -> records.RequestRecord:
        now = self._clock()
        async with self.database.write() as conn:
            current = await requests_sql.load(conn, request_id, lock=True)
            expected.check(current)
            if capacity is not None:
                await _check_capacity(conn, capacity, team=current.team, exclude_id=request_id)
            wanted = change.apply(current, now=now)
            if release:
                wanted = dataclasses.replace(wanted, lease_owner=None, lease_expires_at=None)
            values = rows.changed_values(current, wanted)
            query = update(R).where(R.c.id == request_id, R.c.version == current.version).values(values)
            row = (await conn.execute(query.returning(*R.c))).mappings().one_or_none()
            if row is None:
                raise _stale(request_id, expected=current.version)
            record = rows.request(row)
            await self._journal(conn, before=current, after=record, change=change, event=event, audit=audit, now=now)
        return record

    async def _journal(
        self,
        conn: AsyncConnection,
        *,
        before: records.RequestRecord,
        after: records.RequestRecord,
        change: changes.Change,
        event: records.NewEvent | None,
        audit: records.NewAudit | None,
        now: datetime,
    ) -> None:
        if before.status != after.status and (event is None or event.kind != "status"):
            message = after.status_reason or f"status changed from {before.status} to {after.status}"
            status_event = records.NewEvent(kind="status", message=message)
            await journal.insert_event(conn, request=after, event=status_event, now=now)
        if event is not None:
            await journal.insert_event(conn, request=after, event=event, now=now)
        if audit is not None:
            if audit.before is None and audit.after is None:
                old, new = change.audit_diff(before)
                audit = dataclasses.replace(audit, before=old, after=new)
            await journal.insert_audit(conn, entry=audit, now=now)

    async def ping(self) -> None:
        """A round trip to the database (readiness); raises when it is unreachable."""
        await self.database.ping()

    # -- namespace requests: reads ----------------------------------------------------------

    async def get(self, request_id: str) -> records.RequestRecord:
        """The request, or :class:`errors.NotFound`."""
        async with self.database.read() as conn:
            return await requests_sql.load(conn, request_id)

    async def ended_requests(self, request_ids: Sequence[str]) -> list[records.RequestRecord]:
        """The requests among ``request_ids`` that are over: one query per :data:`ID_BATCH` ids."""
        found: list[records.RequestRecord] = []
        async with self.database.read() as conn:
            for start in range(0, len(request_ids), ID_BATCH):
                found += await requests_sql.ended(conn, request_ids[start : start + ID_BATCH])
        return found

    async def find_live_by_name(self, name: str) -> records.RequestRecord | None:
        async with self.database.read() as conn:
            return await requests_sql.first(conn, requests_sql.live_by_name(name))

    async def get_latest_by_name(self, name: str) -> records.RequestRecord | None:
        """The newest request for ``name`` in any state (terminal ones included)."""
        async with self.database.read() as conn:
            return await requests_sql.first(conn, requests_sql.latest_by_name(name))

    async def list_requests(
        self,
        *,
        teams: Sequence[str] | None = None,
        team: str | None = None,
        environment: str | None = None,
        status: lifecycle.Status | Sequence[lifecycle.Status] | None = None,
        tier: str | None = None,
        name_contains: str | None = None,
        offset: int = 0,
        limit: int = 50,
        sort: str | None = None,
        cursor: str | None = None,
    ) -> records.RequestPage:
        """A page of requests, newest first unless ``sort`` names a key, and the cursor of the next page.

        ``teams`` is the caller's visibility (None = every team, an empty list = none). The total
        matching the filters is counted only without ``cursor`` (the first page, or offset paging).
        """
        conditions = requests_sql.filters(
            teams=teams, team=team, environment=environment, status=status, tier=tier, name_contains=name_contains
        )
        async with self.database.read() as conn:
            return await requests_sql.page(conn, conditions, offset=offset, limit=limit, sort=sort, cursor=cursor)

    async def team_usage(self, team: str, *, exclude_id: str | None = None) -> list[str]:
        """Tier names of the team's live requests (for caps and budgets), oldest first."""
        async with self.database.read() as conn:
            return await requests_sql.team_tiers(conn, team=team, exclude_id=exclude_id)

    async def count_created_by(self, subject: str, *, since: datetime) -> int:
        """Requests ``subject`` created at or after ``since`` (the per-user creation rate limit)."""
        async with self.database.read() as conn:
            return await requests_sql.count_created_by(conn, subject=subject, since=since)

    async def expiring(self, *, before: datetime, limit: int = 100) -> list[records.RequestRecord]:
        """Live requests (not already decommissioning) whose TTL ends at or before ``before``."""
        async with self.database.read() as conn:
            return await requests_sql.expiring(conn, before=before, limit=limit)

    # -- reconciler work claiming -----------------------------------------------------------

    async def claim_due(
        self, *, worker: str, now: datetime, limit: int, lease_seconds: float
    ) -> list[records.RequestRecord]:
        """Lease up to ``limit`` requests in an active state whose ``next_attempt_at <= now``.

        A request is claimable when nobody holds its lease or the lease expired. Claiming does
        not bump ``version`` (see :data:`records.BOOKKEEPING_FIELDS`).
        """
        async with self.database.write() as conn:
            return await requests_sql.claim(conn, worker=worker, now=now, limit=limit, lease_seconds=lease_seconds)

    async def extend_lease(self, request_id: str, *, worker: str, lease_seconds: float) -> records.RequestRecord:
        """Keep a lease alive during long work; :class:`errors.Conflict` if it was lost."""
        expires = self._clock() + timedelta(seconds=lease_seconds)
        return await self.update(request_id, change=changes.Change(lease_expires_at=expires), lease_owner=worker)

    async def due_count(self, now: datetime) -> int:
        """Requests due and not leased: the reconciler's backlog."""
        async with self.database.read() as conn:
            return await requests_sql.due_count(conn, now=now)

    # -- status events ------------------------------------------------------------------------

    async def add_event(self, request_id: str, event: records.NewEvent) -> records.EventRecord:
        now = self._clock()
        async with self.database.write() as conn:
            request = await requests_sql.load(conn, request_id)
            return await journal.insert_event(conn, request=request, event=event, now=now)

    async def events_after(
        self,
        *,
        after_id: int,
        request_id: str | None = None,
        teams: Sequence[str] | None = None,
        limit: int = 500,
    ) -> list[records.EventRecord]:
        """Events with id greater than ``after_id`` (a Last-Event-ID), oldest first."""
        async with self.database.read() as conn:
            return await journal.events_after(conn, after_id=after_id, request_id=request_id, teams=teams, limit=limit)

    async def recent_events(
        self, *, teams: Sequence[str] | None, kinds: Sequence[str], limit: int = 20
    ) -> list[records.EventRecord]:
        """The newest events of ``kinds``, newest first, of ``teams`` (None = every team)."""
        async with self.database.read() as conn:
            return await journal.recent_events(conn, teams=teams, kinds=kinds, limit=limit)

    async def timeline(self, request_id: str) -> list[records.EventRecord]:
        """Every event of one request, oldest first (empty for an unknown id)."""
        async with self.database.read() as conn:
            query = select(E).where(E.c.request_id == request_id).order_by(E.c.id)
            return [rows.event(row) for row in (await conn.execute(query)).mappings()]

    async def latest_event_id(self) -> int:
        """The newest event id (0 when there are none): where a fresh SSE stream starts."""
        async with self.database.read() as conn:
            return await journal.last_event_id(conn)

    # -- audit ------------------------------------------------------------------------------

    async def add_audit(self, entry: records.NewAudit) -> records.AuditRecord:
        now = self._clock()
        async with self.database.write() as conn:
            return await journal.insert_audit(conn, entry=entry, now=now)

    async def list_audit(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        outcome: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        offset: int = 0,
        limit: int = 50,
        team: str | None = None,
    ) -> tuple[list[records.AuditRecord], int]:
        """A page of audit records, newest first, and the total; ``since`` inclusive, ``until`` exclusive."""
        async with self.database.read() as conn:
            return await journal.list_audit(
                conn,
                records.AuditQuery(actor, action, target, outcome, since, until, team),
                offset=offset,
                limit=limit,
            )

    async def audit_before(
        self, where: records.AuditQuery, *, before_id: int | None, limit: int
    ) -> list[records.AuditRecord]:
        """The next ``limit`` matching records older than ``before_id`` (newest first), without a total."""
        async with self.database.read() as conn:
            return await journal.audit_before(conn, where, before_id=before_id, limit=limit)

    async def audit_facets(self) -> dict[str, list[str]]:
        """Actions, actors and teams that occur: the choices of the audit log's filters."""
        async with self.database.read() as conn:
            return await journal.audit_facets(conn)

    # -- idempotency ------------------------------------------------------------------------

    async def idempotency_get(self, owner: str, key: str) -> records.IdempotencyRecord | None:
        """The stored response for a key that has not expired."""
        async with self.database.read() as conn:
            return await idempotency.get(conn, owner=owner, key=key, fresh_after=self._fresh_after())

    async def idempotency_reserve(self, owner: str, key: str, *, body_hash: str) -> records.IdempotencyRecord | None:
        """Reserve a key before its request is processed; the stored entry to replay when there is one.

        Raises :class:`errors.IdempotencyMismatch` when the key was used with another body, and
        :class:`errors.IdempotencyInUse` while a request with this key is still being processed.
        """
        now = self._clock()
        try:
            async with self.database.write() as conn:
                stored = await idempotency.reserve(
                    conn, owner=owner, key=key, body_hash=body_hash, now=now, fresh_after=self._fresh_after()
                )
        except exc.IntegrityError:
            stored = await self.idempotency_get(owner, key)  # reserved concurrently by a duplicate
            if stored is None:
                raise _key_in_use(key) from None
        if stored is None:
            return None
        if stored.body_hash != body_hash:
            raise errors.IdempotencyMismatch(
                "this Idempotency-Key was already used with a different request body",
                details={"Idempotency-Key": key},
            )
        if stored.status_code == idempotency.IN_PROGRESS:
            raise _key_in_use(key)
        return stored

    async def idempotency_unreserve(self, owner: str, key: str) -> None:
        """Give up a reservation (the request failed); a completed entry is kept."""
        async with self.database.write() as conn:
            await idempotency.unreserve(conn, owner=owner, key=key)

    async def idempotency_purge(self) -> int:
        """Delete expired keys; returns how many."""
        async with self.database.write() as conn:
            return await idempotency.purge(conn, older_than=self._fresh_after())

    async def _put_key(
        self,
        conn: AsyncConnection,
        *,
        claim: records.IdempotencyClaim,
        now: datetime,
    ) -> records.IdempotencyRecord:
        return await idempotency.put(
            conn,
            owner=claim.owner,
            key=claim.key,
            body_hash=claim.body_hash,
            status_code=claim.status_code,
            response=claim.response,
            now=now,
            fresh_after=now - self._idempotency_ttl,
        )

    def _fresh_after(self) -> datetime:
        return self._clock() - self._idempotency_ttl

    # -- analytics ----------------------------------------------------------------------------

    async def counts(self, *, teams: Sequence[str] | None = None) -> records.RequestCounts:
        async with self.database.read() as conn:
            return await analytics.counts(conn, teams=teams)

    async def created_per_day(self, *, days: int, teams: Sequence[str] | None = None) -> list[records.DailyCount]:
        async with self.database.read() as conn:
            return await analytics.created_per_day(conn, days=days, now=self._clock(), teams=teams)

    async def provisioning_durations(
        self, *, limit: int | None = None, since: datetime | None = None, teams: Sequence[str] | None = None
    ) -> list[float]:
        """Seconds from approval (or creation) to first ready, oldest first; the newest ``limit`` only."""
        async with self.database.read() as conn:
            return await analytics.provisioning_durations(conn, limit=limit, since=since, teams=teams)

    async def outcomes(
        self, *, since: datetime | None = None, teams: Sequence[str] | None = None
    ) -> records.ProvisioningOutcomes:
        async with self.database.read() as conn:
            return await analytics.outcomes(conn, since=since, teams=teams)

    async def breakdown(self, *, teams: Sequence[str] | None = None) -> list[records.Allocation]:
        """Request counts by (status, team, environment, tier): the ``nsaas_namespaces`` gauge."""
        async with self.database.read() as conn:
            return await analytics.allocation(conn, teams=teams, statuses=None)

    async def live_allocation(self, *, teams: Sequence[str] | None = None) -> list[records.Allocation]:
        """Counts of live requests by (team, environment, tier): what quota is reserved, and its cost."""
        async with self.database.read() as conn:
            return await analytics.allocation(conn, teams=teams, statuses=sorted(lifecycle.RESERVING))


@dataclasses.dataclass(frozen=True, slots=True)
class _Expected:
    """What a write expects of the stored request: a version, a generation (ETag), a lease holder."""

    version: int | None = None
    generation: int | None = None
    lease_owner: str | None = None

    def check(self, current: records.RequestRecord) -> None:
        if self.lease_owner is not None and current.lease_owner != self.lease_owner:
            raise errors.Conflict(
                f"worker {self.lease_owner} no longer holds the lease on request {current.id}",
                details={"lease_owner": current.lease_owner or "none"},
            )
        if self.version is not None and current.version != self.version:
            raise _stale(current.id, expected=self.version, actual=current.version)
        if self.generation is not None and current.generation != self.generation:
            raise errors.PreconditionFailed(
                f"request {current.id} was changed since generation {self.generation} "
                f"(it is now at generation {current.generation}); reload it and retry",
                details={"If-Match": f"expected generation {self.generation}"},
            )


def _stale(request_id: str, *, expected: int, actual: int | None = None) -> errors.PreconditionFailed:
    now = "" if actual is None else f" (it is now at version {actual})"
    return errors.PreconditionFailed(
        f"request {request_id} changed since version {expected}{now}; reload it and retry",
        details={"If-Match": f"expected version {expected}"},
    )


async def _check_capacity(
    conn: AsyncConnection, capacity: teams.CapacityCheck, *, team: str, exclude_id: str | None
) -> None:
    """Run ``capacity`` under ``team``'s lock on its registry entry and the tiers of its live requests
    (but ``exclude_id``'s); what it raises aborts the caller's transaction."""
    await teams_sql.lock_team(conn, team)
    held = await requests_sql.team_tiers(conn, team=team, exclude_id=exclude_id)
    capacity(await teams_sql.load_team(conn, team), held)


def _key_in_use(key: str) -> errors.IdempotencyInUse:
    return errors.IdempotencyInUse(
        "a request with this Idempotency-Key is still being processed; retry shortly to get its response",
        details={"Idempotency-Key": key},
    )


def _name_taken(name: str, taken: records.RequestRecord) -> errors.NameTaken:
    return errors.NameTaken(
        f"namespace {name!r} is already requested (request {taken.id}, {taken.status})",
        details={"namespaceName": f"{name!r} is taken by request {taken.id}"},
    )


def _key_taken(key: str) -> errors.Conflict:
    return errors.Conflict(
        "a request with this Idempotency-Key was stored at the same time; retry to get its response",
        details={"Idempotency-Key": key},
    )


def _create_conflict(name: str, error: exc.IntegrityError) -> errors.Conflict:
    if "idempotency_keys" in str(error.orig):
        return _key_taken("")
    return errors.NameTaken(
        f"namespace {name!r} is already requested (by a request stored at the same moment)",
        details={"namespaceName": f"{name!r} is taken"},
    )

"""Status events (the timeline and SSE stream) and the audit log."""

from __future__ import annotations

from datetime import timedelta

from nsaas.adapters.db import database, repository
from nsaas.domain import identity, lifecycle, records
from nsaas.services import audit
from tests.db import given

S = lifecycle.Status


async def test_event_ids_grow_and_a_stream_resumes_after_the_last_id_it_saw(
    repository: repository.Repository,
) -> None:
    a = await given.create(repository, "ns-a")
    b = await given.create(repository, "ns-b", team="team-b")
    step = await repository.add_event(a.id, records.NewEvent(kind="step", message="applied quota", step="quota"))
    assert step.status == S.PROVISIONING
    everything = await repository.events_after(after_id=0)
    ids = [e.id for e in everything]
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    assert await repository.latest_event_id() == ids[-1]
    assert [e.message for e in await repository.events_after(after_id=ids[0])] == ["requested", "applied quota"]
    assert [e.namespace for e in await repository.events_after(after_id=0, request_id=a.id)] == ["ns-a", "ns-a"]
    assert [e.request_id for e in await repository.events_after(after_id=0, teams=["team-b"])] == [b.id]
    assert await repository.events_after(after_id=0, teams=[]) == []
    assert len(await repository.events_after(after_id=0, limit=2)) == 2


async def test_an_empty_event_log_starts_streams_at_zero(repository: repository.Repository) -> None:
    assert await repository.latest_event_id() == 0


async def test_event_data_round_trips_as_json(repository: repository.Repository) -> None:
    created = await given.create(repository)
    data = {"objects": ["Namespace/payments-dev", "ResourceQuota/compute"], "digest": "sha256:ab", "count": 2}
    added = await repository.add_event(created.id, records.NewEvent(kind="drift", message="drift", data=data))
    [stored] = [e for e in await repository.timeline(created.id) if e.id == added.id]
    assert stored.data == data
    assert stored.kind == "drift"


async def test_audit_records_filter_by_actor_action_target_outcome_and_time(database: database.Database) -> None:
    clock = given.Clock()
    repo = repository.Repository(database, clock=clock)
    entries = [
        given.audit("namespace.request", "ns-1", actor="alice"),
        given.audit("namespace.approve", "ns-1", actor="bob"),
        given.audit("namespace.delete", "ns-2", actor="alice", outcome="denied", detail="not your team"),
        given.audit("namespace.request", "ns-3", actor="carol", outcome="failed", source_ip="10.0.0.7"),
    ]
    for entry in entries:
        clock.advance(minutes=1)
        await repo.add_audit(entry)

    async def targets(**filters: object) -> tuple[list[str], int]:
        found, total = await repo.list_audit(**filters)  # type: ignore[arg-type]
        return [f"{r.actor}:{r.target}" for r in found], total

    assert await targets() == (["carol:ns-3", "alice:ns-2", "bob:ns-1", "alice:ns-1"], 4)
    assert await targets(actor="alice") == (["alice:ns-2", "alice:ns-1"], 2)
    assert await targets(action="namespace.request", outcome="failed") == (["carol:ns-3"], 1)
    assert await targets(target="ns-1", limit=1) == (["bob:ns-1"], 2)
    assert await targets(target="ns-1", offset=1) == (["alice:ns-1"], 2)
    window = {"since": given.T0 + timedelta(minutes=2), "until": given.T0 + timedelta(minutes=4)}
    assert await targets(**window) == (["alice:ns-2", "bob:ns-1"], 2)
    [denied], _ = await repo.list_audit(outcome="denied")
    assert (denied.detail, denied.roles, denied.at) == (
        "not your team",
        ("team:team-a:developer",),
        window["until"] - timedelta(minutes=1),
    )


async def test_the_audit_export_reads_keyset_pages_without_counting(database: database.Database) -> None:
    """A SIEM export of a long log: every page is a keyset read (older than the last id read), no COUNT."""
    repo = repository.Repository(database, clock=given.Clock())
    written = audit.EXPORT_PAGE * 3 // 2 + 60  # two thirds match: 540, two pages
    for i in range(written):
        await repo.add_audit(given.audit("namespace.request" if i % 3 else "namespace.approve", f"ns-{i}"))
    trail = audit.AuditTrail(repo=repo)
    admin = identity.Principal(subject="admin", name="Admin", roles=frozenset({identity.PLATFORM_ADMIN}), source="dev")
    with given.selects(database) as statements:
        exported = [r async for r in trail.export(admin, records.AuditQuery(action="namespace.request"))]
    expected = [f"ns-{i}" for i in reversed(range(written)) if i % 3]
    assert [r.target for r in exported] == expected
    assert len(statements) == 2
    assert not [s for s in statements if "count(" in s.lower()]
    assert "audit_records.id <" in statements[1]

"""Outbound notifications end to end: a team channel, real happenings, a loopback webhook receiver.

The receiver is an HTTP server on 127.0.0.1 that refuses its first deliveries (500), so the
retries are exercised too; it records every delivery id it sees, which is how a receiver
deduplicates the redeliveries that at-least-once delivery allows.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from nsaas.domain import changes, lifecycle
from tests.support.cluster import server
from tests.support.platform import Platform, live_server, unique


class Receiver:
    def __init__(self, *, refuse_first: int = 0) -> None:
        self.refuse = refuse_first
        self.received: list[dict[str, Any]] = []
        self.app = Starlette(routes=[Route("/hook/{channel}", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.received.append(
            {"channel": request.path_params["channel"], "id": request.headers["X-Nsaas-Delivery"], "body": body}
        )
        if self.refuse > 0:
            self.refuse -= 1
            return JSONResponse({"error": "try later"}, status_code=500)
        return JSONResponse({"ok": True})

    def accepted(self, channel: str) -> list[dict[str, Any]]:
        """Deliveries of ``channel``, each id once (a receiver's deduplication)."""
        seen: dict[str, dict[str, Any]] = {}
        for item in self.received:
            if item["channel"] == channel:
                seen.setdefault(item["id"], item)
        return list(seen.values())


async def _drain(platform: Platform, *, seconds: float = 5.0) -> None:
    """Tick the notifier until nothing is due (retries wait their back-off)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await platform.rt.notifier.tick()
        pending = [
            d for d in await platform.rt.outbox.deliveries() if d["delivered_at"] is None and d["next_attempt_at"]
        ]
        if not pending:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"deliveries still pending: {pending}")


async def _channel(
    platform: Platform, url: str, *, name: str, fmt: str, events: list[str] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"team": "team-a", "name": name, "url": url, "format": fmt}
    if events is not None:
        body["events"] = events
    answer = await platform.call("POST", "/notifications/channels", json=body, persona="team-a-admin")
    assert answer.status_code == 201, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


async def test_a_teams_webhook_gets_every_kind_of_happening_once_despite_refusals(
    platform: Platform, simulator: server.Simulator
) -> None:
    platform.settings.notifications.backoff_base_seconds = 0.01
    platform.settings.engines.max_attempts = 1
    receiver = Receiver(refuse_first=3)
    async with live_server(receiver.app) as base:
        await platform.rt.notifier.tick()  # the cursor starts at "now"
        generic = await _channel(platform, f"{base}/hook/generic", name="ops", fmt="generic")  # every type
        slack = await _channel(platform, f"{base}/hook/slack", name="chat", fmt="slack", events=["failed"])
        assert generic["url"] == f"{base}/…"  # the path (a secret in Slack and Teams URLs) is not shown

        pending = unique("ntf-appr")
        await platform.call("POST", "/namespaces/request", json=platform.body(pending, environment="production"))
        await platform.call("POST", f"/namespaces/{pending}/approve", json={"reason": "ok"}, persona="platform-admin")
        assert await platform.converge(pending) == "ready"
        refused = unique("ntf-rej")
        await platform.call("POST", "/namespaces/request", json=platform.body(refused, environment="production"))
        await platform.call("POST", f"/namespaces/{refused}/reject", json={"reason": "no"}, persona="platform-admin")

        broken = unique("ntf-fail")
        simulator.faults.set([{"verb": "patch", "resource": "namespaces", "rate": 1, "error": "403"}])
        try:
            await platform.call("POST", "/namespaces/request", json=platform.body(broken))
            assert await platform.converge(broken) == "failed"
        finally:
            simulator.faults.clear()

        expiring = unique("ntf-ttl")
        await platform.call("POST", "/namespaces/request", json=platform.body(expiring, ttl="30d"))
        assert await platform.converge(expiring) == "ready"
        record = await platform.rt.repo.find_live_by_name(expiring)
        assert record is not None
        soon = datetime.now(UTC) + timedelta(days=6)
        await platform.rt.repo.update(record.id, expected_version=None, change=changes.Change(expires_at=soon))
        await platform.rt.reconciler.tick()
        past = datetime.now(UTC) - timedelta(seconds=1)
        await platform.rt.repo.update(record.id, expected_version=None, change=changes.Change(expires_at=past))
        assert await platform.converge(expiring) == lifecycle.Status.EXPIRED

        await _drain(platform)

    got = receiver.accepted("generic")
    kinds = Counter((item["body"]["type"], item["body"]["namespace"]) for item in got)
    assert kinds == {
        ("approval-needed", pending): 1,
        ("approved", pending): 1,
        ("approval-needed", refused): 1,
        ("rejected", refused): 1,
        ("failed", broken): 1,
        ("ttl-warning", expiring): 1,
        ("expired", expiring): 1,
    }
    failed = next(i["body"] for i in got if i["body"]["type"] == "failed")
    assert failed["message"].startswith(f"Namespace/{broken}")  # the root cause, not a page of "skipped"
    assert failed["link"].endswith(f"/namespaces/{broken}")
    # Refused deliveries were sent again with the same id: more requests than distinct ids.
    assert len(receiver.received) == len(got) + len(receiver.accepted("slack")) + 3
    [chat] = receiver.accepted("slack")
    assert chat["body"]["text"].startswith(f"Provisioning failed: {broken} (team-a)")
    assert chat["body"]["blocks"][0]["type"] == "section"
    assert slack["events"] == ["failed"]


async def test_a_second_notifier_never_queues_an_event_twice(platform: Platform) -> None:
    receiver = Receiver()
    async with live_server(receiver.app) as base:
        await platform.rt.notifier.tick()
        await _channel(platform, f"{base}/hook/x", name="x", fmt="teams", events=["approval-needed"])
        name = unique("ntf-dup")
        await platform.call("POST", "/namespaces/request", json=platform.body(name, environment="production"))
        other = type(platform.rt.notifier)(
            settings=platform.settings, outbox=platform.rt.outbox, sender=platform.rt.webhooks
        )
        await asyncio.gather(platform.rt.notifier.tick(), other.tick(), platform.rt.notifier.tick())
        await _drain(platform)
    ours = [d for d in await platform.rt.outbox.deliveries() if name in str(d["payload"])]
    assert len(ours) == 1
    [card] = receiver.accepted("x")
    assert card["body"]["@type"] == "MessageCard"
    assert card["body"]["nsaas"]["type"] == "approval-needed"


async def test_only_team_admins_add_channels_and_bad_fields_are_all_named(platform: Platform) -> None:
    body = {"team": "team-a", "name": "x", "url": "https://hooks.example/abc", "format": "generic"}
    denied = await platform.call("POST", "/notifications/channels", json=body, persona="team-a-developer")
    assert denied.status_code == 403
    foreign = await platform.call("POST", "/notifications/channels", json=body, persona="team-b-admin")
    assert foreign.status_code == 404
    bad = {"team": "team-a", "name": "", "url": "ftp://x", "format": "fax", "events": ["birthday"]}
    answer = await platform.call("POST", "/notifications/channels", json=bad, persona="team-a-admin")
    assert answer.status_code == 400
    assert set(answer.json()["details"]) == {"name", "url", "format", "events"}

"""The live relay: API events become named HTML fragments the page swaps in without reloading."""

from __future__ import annotations

import httpx

from nsaas.ui import progress
from tests.ui import fake_api
from tests.ui.conftest import SignIn


def frames(text: str) -> list[dict[str, str]]:
    found = []
    for block in text.strip().split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            key, _, value = line.partition(": ")
            fields[key] = fields[key] + "\n" + value if key in fields else value
        found.append(fields)
    return found


async def test_a_status_event_updates_badge_progress_timeline_and_overview(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    api.events.append(fake_api.event(2, "alpha", "ready", "namespace is ready"))
    await sign_in("team-a-developer")
    answer = await ui.get("/live/namespaces/alpha", params={"after": "1", "status": "provisioning"})
    assert answer.headers["Content-Type"].startswith("text/event-stream")
    sent = frames(answer.text)
    assert [f["event"] for f in sent] == ["timeline", "badge", "progress", "refresh"]
    assert sent[0]["id"] == "2"
    assert "namespace is ready" in sent[0]["data"]
    assert '<span class="badge tone-good">ready</span>' in sent[1]["data"]
    assert "stage-done" in sent[2]["data"]
    assert api.calls("GET", "/namespaces/alpha/events")[-1].headers["Last-Event-ID"] == "1"


async def test_a_reconnecting_browser_resumes_after_its_last_event_id(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    api.events.append(fake_api.event(2, "alpha", "ready", "namespace is ready"))
    await sign_in("team-a-developer")
    answer = await ui.get("/live/namespaces/alpha", params={"after": "0"}, headers={"Last-Event-ID": "2"})
    assert answer.text.strip() == ""
    assert api.calls("GET", "/namespaces/alpha/events")[-1].headers["Last-Event-ID"] == "2"


async def test_event_text_is_escaped_before_it_reaches_the_page(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    api.events.append(fake_api.event(2, "alpha", "ready", "<img src=x onerror=alert(1)>", kind="info"))
    await sign_in("team-a-developer")
    answer = await ui.get("/live/namespaces/alpha", params={"after": "1"})
    assert "<img" not in answer.text
    assert "&lt;img src=x" in answer.text


async def test_the_list_stream_sends_a_badge_per_namespace_it_may_see(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    api.events.append(fake_api.event(2, "bravo", "failed", "apply failed"))
    api.events.append(fake_api.event(3, "alpha", "ready", "ready"))
    await sign_in("team-a-developer")
    sent = frames((await ui.get("/live/events")).text)
    # The first event (alpha provisioning) may be a row an open list lacks, so the list reloads.
    assert [f["event"] for f in sent] == ["ns-alpha", "listchange", "ns-alpha"]
    assert "tone-good" in sent[-1]["data"]


async def test_a_foreign_namespaces_stream_ends_with_a_not_found_note(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    await sign_in("team-b-developer")
    sent = frames((await ui.get("/live/namespaces/alpha")).text)
    assert sent[0]["event"] == "gone"
    assert "no namespace alpha" in sent[0]["data"]


async def test_actions_are_reloaded_only_when_the_status_changes_what_can_be_done(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    api.events[0] = fake_api.event(1, "alpha", "provisioning", "approved")
    api.events.append(fake_api.event(2, "alpha", "ready", "namespace is ready"))
    await sign_in("team-a-developer")
    sent = frames((await ui.get("/live/namespaces/alpha", params={"status": "pending-approval"})).text)
    assert [f["event"] for f in sent].count("actions") == 1  # pending -> provisioning; ready changes nothing


def test_progress_marks_the_stage_a_request_is_in() -> None:
    def states(status: str) -> list[tuple[str, str]]:
        return [(s.label, s.state) for s in progress.stages(status)]

    assert states("pending-approval")[:3] == [("Requested", "done"), ("Approval", "current"), ("Provisioning", "todo")]
    assert states("failed")[2] == ("Provisioning", "failed")
    assert states("ready")[-1] == ("Ready", "done")
    assert states("decommissioning") == [("Ready", "done"), ("Decommissioning", "current"), ("Deleted", "todo")]
    assert states("expired")[-1] == ("Expired", "done")

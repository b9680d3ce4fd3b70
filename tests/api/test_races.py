"""Concurrent duplicates and crossing decisions get one clear, deterministic answer each."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from nsaas.services.requests import body_hash
from tests.support.platform import Platform, unique


async def test_a_duplicate_while_the_first_is_in_progress_is_told_so_with_retry_after(platform: Platform) -> None:
    name = unique("idem-busy")
    body = platform.body(name)
    # The first request with this key is being processed (reserved, not finished yet).

    assert (
        await platform.rt.repo.idempotency_reserve("dev:team-a-developer", "k-busy", body_hash=body_hash(body)) is None
    )
    busy = await platform.call("POST", "/namespaces/request", json=body, headers={"Idempotency-Key": "k-busy"})
    assert busy.status_code == 409, busy.text
    assert busy.json()["error"] == "idempotency_key_in_use"
    assert int(busy.headers["Retry-After"]) >= 1
    assert await platform.rt.repo.find_live_by_name(name) is None


async def test_concurrent_retries_with_one_key_create_once_and_then_replay(platform: Platform) -> None:
    name = unique("idem-race")
    body = platform.body(name)
    answers = await asyncio.gather(
        *(
            platform.call("POST", "/namespaces/request", json=body, headers={"Idempotency-Key": "k-race"})
            for _ in range(6)
        )
    )
    kinds = Counter(a.status_code if a.status_code == 202 else a.json()["error"] for a in answers)
    assert set(kinds) <= {202, "idempotency_key_in_use"}, [a.text for a in answers]
    assert kinds[202] >= 1
    accepted = {a.json()["data"]["requestId"] for a in answers if a.status_code == 202}
    assert len(accepted) == 1
    later = await platform.call("POST", "/namespaces/request", json=body, headers={"Idempotency-Key": "k-race"})
    assert later.status_code == 202
    assert later.json()["data"]["requestId"] in accepted
    assert (await platform.rt.repo.list_requests(name_contains=name)).total == 1


async def test_a_failed_request_frees_its_key(platform: Platform) -> None:
    name = unique("idem-free")
    bad = platform.body(name, resourceTier="nope")
    first = await platform.call("POST", "/namespaces/request", json=bad, headers={"Idempotency-Key": "k-free"})
    assert first.status_code == 400
    again = await platform.call("POST", "/namespaces/request", json=bad, headers={"Idempotency-Key": "k-free"})
    assert again.status_code == 400  # evaluated again, not "in progress"


async def test_a_taken_name_is_409_name_taken_however_close_the_requests_are(platform: Platform) -> None:
    name = unique("race-name")
    answers = await asyncio.gather(
        *(platform.call("POST", "/namespaces/request", json=platform.body(name)) for _ in range(6))
    )
    kinds = Counter(a.status_code if a.status_code == 202 else (a.status_code, a.json()["error"]) for a in answers)
    assert kinds[202] == 1, [a.text for a in answers]
    assert set(kinds) == {202, (409, "name_taken")}, kinds


async def _pending(platform: Platform) -> tuple[str, str]:
    name = unique("race-decide")
    body = platform.body(name, environment="production", resourceTier="medium")
    answer = await platform.call("POST", "/namespaces/request", json=body)
    assert answer.json()["data"]["status"] == "pending-approval"
    return name, answer.json()["data"]["requestId"]


def _before_next_write(platform: Platform, monkeypatch: pytest.MonkeyPatch, action: Any) -> None:
    """Run ``action`` (another person's decision) between the next decision's read and its write."""
    original = platform.rt.repo.update
    fired: list[bool] = []

    async def crossed(*args: Any, **kwargs: Any) -> Any:
        if not fired:
            fired.append(True)
            await action()
        return await original(*args, **kwargs)

    monkeypatch.setattr(platform.rt.repo, "update", crossed)


async def test_a_cancel_that_crosses_an_approval_cancels_the_approved_request(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, request_id = await _pending(platform)

    async def approve() -> None:
        ok = await platform.call("POST", f"/namespaces/{name}/approve", "platform-admin", json={"reason": "fine"})
        assert ok.status_code == 200, ok.text

    _before_next_write(platform, monkeypatch, approve)
    cancel = await platform.call("DELETE", f"/namespaces/request/{request_id}")
    assert cancel.status_code == 200, cancel.text
    assert cancel.json()["data"]["status"] == "decommissioning"
    assert (await platform.converge(name)) == "cancelled"


async def test_an_approval_that_crosses_a_cancel_says_the_request_is_no_longer_pending(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, request_id = await _pending(platform)

    async def cancel() -> None:
        ok = await platform.call("DELETE", f"/namespaces/request/{request_id}")
        assert ok.status_code == 200, ok.text

    _before_next_write(platform, monkeypatch, cancel)
    approve = await platform.call("POST", f"/namespaces/{name}/approve", "platform-admin", json={"reason": "fine"})
    assert approve.status_code == 409, approve.text
    assert approve.json()["error"] == "conflict"
    assert "cancelled, not waiting for approval" in approve.json()["message"]

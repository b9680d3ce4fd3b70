"""Keyset paging of the namespace list: following ``next`` visits every row once, in the sort's order."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.platform import Platform, unique

SORTS = [None, "name", "-name", "-cost", "tier", "expiresAt", "-expiresAt", "createdAt", "-updatedAt"]


async def _names(platform: Platform, params: dict[str, Any]) -> list[str]:
    answer = await platform.call("GET", "/namespaces", params=params)
    assert answer.status_code == 200, answer.text
    return [i["name"] for i in answer.json()["data"]["items"]]


@pytest.fixture
async def listed(platform: Platform) -> str:
    """Seven requests sharing a prefix, with repeated tiers and some TTLs (others never expire)."""
    prefix = unique("page")
    for index, tier in enumerate(["large", "micro", "medium", "micro", "small", "large", "micro"]):
        body = platform.body(f"{prefix}-{index}", resourceTier=tier)
        if index % 2:
            body["ttl"] = f"{index}h"
        answer = await platform.call("POST", "/namespaces/request", json=body)
        assert answer.status_code == 202, answer.text
    return prefix


@pytest.mark.parametrize("sort", SORTS)
async def test_following_next_visits_every_row_once_in_order(platform: Platform, listed: str, sort: str | None) -> None:
    base: dict[str, Any] = {"q": listed} | ({"sort": sort} if sort else {})
    everything = await _names(platform, {**base, "limit": 200})
    assert len(everything) == 7
    first = await platform.call("GET", "/namespaces", params={**base, "limit": 3})
    page = first.json()["data"]
    assert page["total"] == 7  # the first page is counted
    paged = [i["name"] for i in page["items"]]
    while page["next"]:
        answer = await platform.call("GET", "/namespaces", params={**base, "limit": 3, "cursor": page["next"]})
        assert answer.status_code == 200, answer.text
        page = answer.json()["data"]
        assert page["total"] is None  # pages after a cursor are not counted
        paged += [i["name"] for i in page["items"]]
    assert paged == everything


async def test_a_bad_cursor_or_a_cursor_with_an_offset_is_refused_naming_the_fields(
    platform: Platform, listed: str
) -> None:
    first = (await platform.call("GET", "/namespaces", params={"q": listed, "limit": 2})).json()["data"]
    forged = await platform.call("GET", "/namespaces", params={"cursor": "not-a-cursor"})
    assert forged.status_code == 400
    assert "cursor" in forged.json()["details"]
    other_sort = await platform.call("GET", "/namespaces", params={"cursor": first["next"], "sort": "name"})
    assert other_sort.status_code == 400
    assert "cursor" in other_sort.json()["details"]
    both = await platform.call("GET", "/namespaces", params={"cursor": first["next"], "offset": 2})
    assert both.status_code == 400
    assert set(both.json()["details"]) >= {"offset", "cursor"}

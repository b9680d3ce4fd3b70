"""Lists: label and field selectors, pagination with continue tokens."""

from __future__ import annotations

import httpx
import pytest


@pytest.fixture
def labelled(kube: httpx.Client, namespace: str) -> str:
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    for name, labels in (
        ("web-prod", {"app": "web", "env": "prod"}),
        ("web-dev", {"app": "web", "env": "dev"}),
        ("db-prod", {"app": "db", "env": "prod", "backup": "yes"}),
        ("bare", {}),
    ):
        kube.post(url, json={"metadata": {"name": name, "labels": labels}})
    return url


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["web-dev", "web-prod"]),
        ("app==web,env=prod", ["web-prod"]),
        ("app!=web", ["bare", "db-prod"]),
        ("env in (dev, test)", ["web-dev"]),
        ("env notin (prod)", ["bare", "web-dev"]),
        ("backup", ["db-prod"]),
        ("!env", ["bare"]),
        ("app in (web,db),!backup", ["web-dev", "web-prod"]),
    ],
)
def test_label_selectors_filter_lists(kube: httpx.Client, labelled: str, selector: str, expected: list[str]) -> None:
    items = kube.get(labelled, params={"labelSelector": selector}).json()["items"]

    assert [i["metadata"]["name"] for i in items] == expected


def test_a_malformed_label_selector_is_a_bad_request(kube: httpx.Client, labelled: str) -> None:
    assert kube.get(labelled, params={"labelSelector": "a in b"}).status_code == 400


def test_field_selectors_match_name_and_namespace(kube: httpx.Client, labelled: str, namespace: str) -> None:
    by_name = kube.get(labelled, params={"fieldSelector": "metadata.name=bare"}).json()["items"]
    others = kube.get(labelled, params={"fieldSelector": "metadata.name!=bare"}).json()["items"]
    cluster_wide = kube.get("/api/v1/configmaps", params={"fieldSelector": f"metadata.namespace={namespace}"})

    assert [i["metadata"]["name"] for i in by_name] == ["bare"]
    assert len(others) == 3
    assert len(cluster_wide.json()["items"]) == 4


def test_limit_and_continue_page_through_everything_once(kube: httpx.Client, labelled: str) -> None:
    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 3}
    while True:
        page = kube.get(labelled, params=params).json()
        seen += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue")
        if not token:
            break
        assert page["metadata"]["remainingItemCount"] == 1
        params = {"limit": 3, "continue": token}

    assert seen == ["bare", "db-prod", "web-dev", "web-prod"]


def test_a_garbled_continue_token_is_a_bad_request(kube: httpx.Client, labelled: str) -> None:
    assert kube.get(labelled, params={"limit": 1, "continue": "!!nonsense"}).status_code == 400


def test_list_metadata_carries_the_current_resource_version(kube: httpx.Client, labelled: str) -> None:
    before = int(kube.get(labelled).json()["metadata"]["resourceVersion"])
    kube.post(labelled, json={"metadata": {"name": "later"}})

    after = int(kube.get(labelled).json()["metadata"]["resourceVersion"])

    assert after > before

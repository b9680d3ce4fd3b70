"""Watches: ordered events, resume from a resourceVersion, selectors, 410 Gone, timeouts, disconnects."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from nsaas.sim import server
from tests.sim.conftest import client_for, eventually

MERGE = {"Content-Type": "application/merge-patch+json"}


def _events(lines: Iterator[str], count: int) -> list[tuple[str, Any]]:
    events = []
    for line in lines:
        event = json.loads(line)
        events.append((event["type"], event["object"]))
        if len(events) == count:
            break
    return events


def _summary(events: list[tuple[str, Any]]) -> list[tuple[str, str]]:
    return [(kind, obj["metadata"]["name"]) for kind, obj in events]


def test_a_watch_from_a_resource_version_replays_events_in_order(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    start = kube.get(url).json()["metadata"]["resourceVersion"]
    kube.post(url, json={"metadata": {"name": "a"}})
    kube.patch(f"{url}/a", json={"data": {"k": "v"}}, headers=MERGE)
    kube.delete(f"{url}/a")

    with kube.stream("GET", url, params={"watch": "true", "resourceVersion": start}) as response:
        events = _events(response.iter_lines(), 3)

    assert _summary(events) == [("ADDED", "a"), ("MODIFIED", "a"), ("DELETED", "a")]
    versions = [int(obj["metadata"]["resourceVersion"]) for _, obj in events]
    assert versions == sorted(versions)


def test_a_watch_follows_live_changes(simulator: server.Simulator, kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    with kube.stream("GET", url, params={"watch": "1"}) as response, client_for(simulator) as writer:
        writer.post(url, json={"metadata": {"name": "live"}})
        writer.delete(f"{url}/live")
        events = _events(response.iter_lines(), 2)

    assert _summary(events) == [("ADDED", "live"), ("DELETED", "live")]


def test_a_watch_without_a_resource_version_starts_with_the_current_objects(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    kube.post(url, json={"metadata": {"name": "existing"}})

    with kube.stream("GET", url, params={"watch": "true"}) as response:
        events = _events(response.iter_lines(), 1)

    assert _summary(events) == [("ADDED", "existing")]


def test_a_label_filtered_watch_sees_objects_enter_and_leave(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    start = kube.get(url).json()["metadata"]["resourceVersion"]
    kube.post(url, json={"metadata": {"name": "x"}})
    kube.patch(f"{url}/x", json={"metadata": {"labels": {"team": "a"}}}, headers=MERGE)
    kube.patch(f"{url}/x", json={"data": {"k": "v"}}, headers=MERGE)
    kube.patch(f"{url}/x", json={"metadata": {"labels": {"team": "b"}}}, headers=MERGE)
    kube.post(url, json={"metadata": {"name": "y", "labels": {"team": "a"}}})

    params = {"watch": "true", "resourceVersion": start, "labelSelector": "team=a"}
    with kube.stream("GET", url, params=params) as response:
        events = _events(response.iter_lines(), 4)

    assert _summary(events) == [("ADDED", "x"), ("MODIFIED", "x"), ("DELETED", "x"), ("ADDED", "y")]


def test_a_cluster_wide_watch_with_a_field_selector_sees_one_namespace(kube: httpx.Client, namespace: str) -> None:
    start = kube.get("/api/v1/secrets").json()["metadata"]["resourceVersion"]
    kube.post(f"/api/v1/namespaces/{namespace}/secrets", json={"metadata": {"name": "s"}})

    params = {"watch": "true", "resourceVersion": start, "fieldSelector": f"metadata.namespace={namespace}"}
    with kube.stream("GET", "/api/v1/secrets", params=params) as response:
        events = _events(response.iter_lines(), 1)

    assert _summary(events) == [("ADDED", "s")]


def test_timeout_seconds_ends_the_stream(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    start = kube.get(url).json()["metadata"]["resourceVersion"]

    with kube.stream("GET", url, params={"watch": "true", "resourceVersion": start, "timeoutSeconds": "1"}) as response:
        lines = list(response.iter_lines())

    assert lines == []


def test_a_client_disconnect_ends_the_watch_on_the_server(simulator: server.Simulator, kube: httpx.Client) -> None:
    baseline = kube.get("/_sim/stats").json()["watchers"]
    with client_for(simulator) as watcher, watcher.stream("GET", "/api/v1/namespaces", params={"watch": "1"}) as r:
        lines = r.iter_lines()  # held: dropping the generator would close the response early
        _events(lines, 1)
        assert kube.get("/_sim/stats").json()["watchers"] == baseline + 1

    eventually(lambda: kube.get("/_sim/stats").json()["watchers"] == baseline)


def test_a_resource_version_older_than_the_event_window_is_410_gone() -> None:
    with server.running_in_thread(event_window=5) as small, client_for(small) as kube:
        for i in range(10):
            kube.post("/api/v1/namespaces/default/configmaps", json={"metadata": {"name": f"c{i}"}})
        first_page = kube.get("/api/v1/namespaces/default/configmaps", params={"limit": 2}).json()
        for i in range(10, 20):
            kube.post("/api/v1/namespaces/default/configmaps", json={"metadata": {"name": f"c{i}"}})

        with kube.stream("GET", "/api/v1/configmaps", params={"watch": "true", "resourceVersion": "1"}) as response:
            events = [json.loads(line) for line in response.iter_lines()]
        expired_continue = kube.get(
            "/api/v1/namespaces/default/configmaps", params={"limit": 2, "continue": first_page["metadata"]["continue"]}
        )

    assert [e["type"] for e in events] == ["ERROR"]
    assert events[0]["object"]["code"] == 410
    assert events[0]["object"]["message"].startswith("too old resource version: 1")
    assert expired_continue.status_code == 410


def test_a_watch_that_asks_for_tables_streams_table_rows(kube: httpx.Client, namespace: str) -> None:
    url = f"/api/v1/namespaces/{namespace}/configmaps"
    kube.post(url, json={"metadata": {"name": "row"}})
    accept = {"Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}

    with kube.stream("GET", url, params={"watch": "true"}, headers=accept) as response:
        (kind, table), *_ = _events(response.iter_lines(), 1)

    assert kind == "ADDED"
    assert table["kind"] == "Table"
    assert table["rows"][0]["cells"][0] == "row"

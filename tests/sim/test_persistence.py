"""The simulator's snapshot: every object comes back, custom types included, and versions keep growing."""

from __future__ import annotations

import pathlib

from nsaas.sim import persistence, resources, server


def _types(sim: server.Simulator) -> tuple[resources.ResourceType, resources.ResourceType]:
    namespaces = sim.registry.lookup("", "v1", "namespaces")
    monitors = sim.registry.lookup("monitoring.coreos.com", "v1", "servicemonitors")
    assert namespaces is not None
    assert monitors is not None
    return namespaces, monitors


def test_a_snapshot_restores_every_object_and_the_version_counter(tmp_path: pathlib.Path) -> None:
    state = tmp_path / "cluster.json"
    first = server.Simulator(state_file=state)
    namespaces, monitors = _types(first)
    first.api.create(namespaces, "", {"metadata": {"name": "team-a-shop", "labels": {"a": "b"}}}, manager="t")
    first.api.create(monitors, "team-a-shop", {"metadata": {"name": "m"}, "spec": {"endpoints": []}}, manager="t")
    persistence.save(first.api, state)
    saved_version = first.store.resource_version

    second = server.Simulator(state_file=state)
    namespaces, monitors = _types(second)
    assert second.api.get(namespaces, "", "team-a-shop")["metadata"]["labels"]["a"] == "b"
    assert second.api.get(monitors, "team-a-shop", "m")["spec"] == {"endpoints": []}
    assert second.store.resource_version == saved_version
    assert second.store.compacted == saved_version  # a watch resuming from an older version gets 410 and relists
    created = second.api.create(namespaces, "", {"metadata": {"name": "later"}}, manager="t")
    assert int(created["metadata"]["resourceVersion"]) == saved_version + 1


def test_without_a_snapshot_the_simulator_starts_with_the_system_namespaces(tmp_path: pathlib.Path) -> None:
    sim = server.Simulator(state_file=tmp_path / "absent.json")
    namespaces, _ = _types(sim)
    assert {o["metadata"]["name"] for o in sim.store.items(namespaces)} == set(server.SYSTEM_NAMESPACES)

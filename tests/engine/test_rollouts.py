"""Rollouts of a bundle template version: waves by environment, automatic halt on a failing wave,
pinned namespaces skipped, rollback, each move on the namespace's timeline."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from nsaas.adapters.kube import results
from nsaas.bundle import model
from nsaas.domain import changes, errors, lifecycle, records
from nsaas.services import bodies
from tests.support.platform import Platform, request_body

V2_SPEC: dict[str, Any] = {
    "podSecurity": {"development": "baseline", "staging": "restricted", "production": "restricted"},
    "namespaceLabels": {"example.com/bundle": "v2"},
}
ENVIRONMENTS = {"development": 40, "staging": 30, "production": 30}


class FailingCluster:
    """The real cluster, except that applying the bundle of one of ``failing`` fails (a forced failure)."""

    def __init__(self, real: Any, failing: set[str]) -> None:
        self.real = real
        self.failing = failing

    async def apply(self, *, bundle: model.Bundle, prune: bool = True) -> Any:
        if bundle.namespace in self.failing:
            return results.ApplyResult(failed={f"v1/Namespace/{bundle.namespace}": "admission webhook denied it"})
        return await self.real.apply(bundle=bundle, prune=prune)


async def _publish_v2(platform: Platform) -> None:
    created = await platform.call("POST", "/templates/standard/versions", "platform-admin", json={"spec": V2_SPEC})
    assert created.status_code == 201, created.text
    published = await platform.call("POST", "/templates/standard/versions/2/publish", "platform-admin")
    assert published.status_code == 200, published.text


async def _ready_namespaces(platform: Platform, prefix: str) -> dict[str, list[str]]:
    """100 ready namespaces on version 1 (stored directly: provisioning them one by one is not the point)."""
    names: dict[str, list[str]] = {}
    for environment, count in ENVIRONMENTS.items():
        for index in range(count):
            name = f"{prefix}-{environment[:4]}-{index:02d}"
            platform.names.append(name)
            spec = bodies.parse_spec(request_body(name, environment=environment))
            new = records.NewRequest(spec=spec, status=lifecycle.Status.PROVISIONING, engine="direct", requested_by="t")
            record = await platform.rt.repo.create_request(
                new, event=records.NewEvent(kind="status", message="test"), audit=_audit(name)
            )
            await platform.rt.repo.update(
                record.id, change=changes.Change(status=lifecycle.Status.READY, status_reason="ready")
            )
            names.setdefault(environment, []).append(name)
    return names


def _audit(name: str) -> records.NewAudit:
    return records.NewAudit(actor="test", action="namespace.request", target_type="namespace", target=name)


async def _run(platform: Platform, rollout: str, until: set[str], rounds: int = 200) -> dict[str, Any]:
    """Worker passes until the rollout reaches a state of ``until``."""
    data: dict[str, Any] = {}
    for _ in range(rounds):
        await platform.rt.rollout_runner.tick()
        answer = await platform.call("GET", f"/rollouts/{rollout}", "platform-admin")
        data: dict[str, Any] = answer.json()["data"]
        if data["state"] in until:
            return data
    raise AssertionError(f"the rollout did not reach {until}; last {data['state']}")


async def _versions(platform: Platform, names: list[str]) -> Counter[int]:
    found: Counter[int] = Counter()
    for name in names:
        record = await platform.rt.repo.find_live_by_name(name)
        assert record is not None
        found[record.template_version] += 1
    return found


async def test_a_rollout_to_100_namespaces_halts_at_the_failing_second_wave_and_rolls_back(platform: Platform) -> None:
    await _publish_v2(platform)
    names = await _ready_namespaces(platform, "ro")
    pinned = names["production"][:2]
    for name in pinned:
        answer = await platform.call("PUT", f"/namespaces/{name}/template-pin", "platform-admin", json={"pinned": True})
        assert answer.status_code == 200, answer.text
    failing = set(names["staging"][:10])  # a third of wave 2
    platform.rt.rollout_runner.cluster = FailingCluster(platform.rt.cluster, failing)

    body = {
        "template": "standard",
        "version": 2,
        "waves": [{"environments": [env]} for env in ENVIRONMENTS],
        "pauseSeconds": 0,
        "maxFailureRate": 0.2,
    }
    refused = await platform.call("POST", "/rollouts", "team-a-admin", json=body)
    assert refused.status_code == 403, refused.text
    started = await platform.call("POST", "/rollouts", "platform-admin", json=body)
    assert started.status_code == 202, started.text
    data = started.json()["data"]
    assert (data["state"], data["skipped"]) == ("running", 2)
    assert [w["pending"] for w in data["waves"]] == [40, 30, 28]
    rollout = data["id"]
    again = await platform.call("POST", "/rollouts", "platform-admin", json=body)
    assert again.status_code == 409, again.text  # one rollout of a template at a time

    halted = await _run(platform, rollout, {"halted", "completed"})
    assert halted["state"] == "halted"
    assert halted["currentWave"] == 2
    assert halted["reason"] == "halted at wave 2: 33% of its namespaces failed (threshold 20%)"
    waves = [(w["applied"], w["failed"], w["pending"]) for w in halted["waves"]]
    assert waves == [(40, 0, 0), (20, 10, 0), (0, 0, 28)]
    assert {p["namespace"] for p in halted["problems"] if p["state"] == "failed"} == failing
    assert await _versions(platform, names["development"]) == Counter({2: 40})
    assert await _versions(platform, names["staging"]) == Counter({2: 20, 1: 10})
    assert await _versions(platform, names["production"]) == Counter({1: 30})

    moved = names["development"][0]
    namespace = await platform.rt.cluster.namespace_info(moved)
    assert namespace is not None
    assert namespace.labels["example.com/bundle"] == "v2"
    shown = (await platform.call("GET", f"/namespaces/{moved}", "platform-admin")).json()["data"]
    assert shown["template"] == {"name": "standard", "version": 2}
    assert any("now on bundle template standard version 2" in e["message"] for e in shown["timeline"])
    broken = (await platform.call("GET", f"/namespaces/{sorted(failing)[0]}", "platform-admin")).json()["data"]
    assert any("could not apply bundle template standard version 2" in e["message"] for e in broken["timeline"])
    metrics = (await platform.call("GET", "/metrics")).text
    assert "nsaas_rollouts_halted 1.0" in metrics

    rolled = await platform.call("POST", f"/rollouts/{rollout}/rollback", "platform-admin")
    assert rolled.status_code == 202, rolled.text
    assert rolled.json()["data"]["state"] == "rolling-back"
    back = await _run(platform, rollout, {"rolled-back"})
    assert [w["rolledBack"] for w in back["waves"]] == [40, 20, 0]
    every = [n for group in names.values() for n in group]
    assert await _versions(platform, every) == Counter({1: 100})
    namespace = await platform.rt.cluster.namespace_info(moved)
    assert namespace is not None
    assert "example.com/bundle" not in namespace.labels  # the v1 bundle is back, the v2 label pruned
    shown = (await platform.call("GET", f"/namespaces/{moved}", "platform-admin")).json()["data"]
    assert shown["template"] == {"name": "standard", "version": 1}
    assert any("rollback: now on bundle template standard version 1" in e["message"] for e in shown["timeline"])
    assert "nsaas_rollouts_halted 0.0" in (await platform.call("GET", "/metrics")).text

    log = await platform.call("GET", "/audit", "platform-admin", params={"target": rollout})
    assert sorted(e["action"] for e in log.json()["data"]["items"]) == ["rollout.create", "rollout.rollback"]


async def test_bad_rollouts_are_refused_naming_every_field(platform: Platform) -> None:
    bad = {"version": 0, "waves": [{"environments": ["qa"], "percent": 0}], "maxFailureRate": 2}
    answer = await platform.call("POST", "/rollouts", "platform-admin", json=bad)
    assert answer.status_code == 400, answer.text
    assert set(answer.json()["details"]) >= {"version", "waves.0.environments.0", "waves.0.percent", "maxFailureRate"}
    draft = await platform.call("POST", "/templates/standard/versions", "platform-admin", json={"spec": V2_SPEC})
    assert draft.status_code == 201
    body = {"version": 2, "waves": [{"environments": ["development"]}]}
    unpublished = await platform.call("POST", "/rollouts", "platform-admin", json=body)
    assert unpublished.status_code == 409, unpublished.text
    missing = await platform.call("POST", "/rollouts", "platform-admin", json={**body, "version": 3})
    assert missing.status_code == 404, missing.text
    hidden = await platform.call("GET", "/rollouts", "team-a-developer")
    assert hidden.status_code == 403, hidden.text


async def test_a_rollback_asked_for_while_a_worker_moves_a_wave_is_not_overwritten_by_that_worker(
    platform: Platform,
) -> None:
    await _publish_v2(platform)
    body = {"version": 2, "waves": [{"environments": ["development"]}], "pauseSeconds": 0}
    started = await platform.call("POST", "/rollouts", "platform-admin", json=body)
    assert started.status_code == 202, started.text
    rollout = started.json()["data"]["id"]
    store, worker = platform.rt.rollouts.store, platform.rt.rollout_runner.worker
    claimed = await store.claim(worker=worker, now=datetime.now(UTC), lease_seconds=30)
    assert claimed is not None
    assert claimed.id == rollout
    rolled = await platform.call("POST", f"/rollouts/{rollout}/rollback", "platform-admin")
    assert rolled.status_code == 202, rolled.text
    finished = dataclasses.replace(claimed, state="completed", reason="all 1 waves done")
    with pytest.raises(errors.Conflict):
        await store.save(finished, worker=worker, was="running")
    stored = await store.get(rollout)
    assert stored is not None
    assert stored.state == "rolling-back"
    # The lease holder takes the rollback up on its next pass; nothing was moved, so it is done at once.
    back = await _run(platform, rollout, {"rolled-back"})
    assert back["reason"] == "every moved namespace is back on its version"

"""``POST /api/test-workflow`` really validates a sample bundle: ok on a healthy cluster, the failing
step named when RBAC refuses one kind, and no scratch namespace left behind either way."""

from __future__ import annotations

from typing import Any

from nsaas.sim import faults
from tests.support.platform import Platform


async def _selftest(platform: Platform) -> dict[str, Any]:
    answer = await platform.call("POST", "/api/test-workflow", persona="platform-admin")
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()["data"]
    return data


async def _gone(platform: Platform, name: str) -> bool:
    info = await platform.rt.cluster.namespace_info(name)
    return info is None or info.terminating


async def test_the_self_test_passes_on_a_healthy_cluster_and_cleans_up(
    platform: Platform, sim_faults: faults.Faults
) -> None:
    result = await _selftest(platform)
    assert result["ok"] is True, result["steps"]
    assert result["failedStep"] is None
    labels = [s["step"] for s in result["steps"]]
    name = result["namespace"]
    assert labels[:3] == ["cluster reachable", f"dry-run apply Namespace/{name}", f"create scratch namespace {name}"]
    assert labels[-1] == f"delete scratch namespace {name}"
    assert any(label.startswith("dry-run apply RoleBinding/") for label in labels)
    assert any(label.startswith("dry-run apply NetworkPolicy/") for label in labels)
    assert await _gone(platform, name)


async def test_the_self_test_names_the_step_rbac_refuses(platform: Platform, sim_faults: faults.Faults) -> None:
    sim_faults.set([{"verb": "patch", "resource": "rolebindings", "error": "403"}])
    result = await _selftest(platform)
    assert result["ok"] is False
    assert result["failedStep"].startswith("dry-run apply RoleBinding/")
    failed = next(s for s in result["steps"] if s["step"] == result["failedStep"])
    assert "forbidden" in failed["message"]
    assert result["steps"][-1] == {
        **result["steps"][-1],
        "step": f"delete scratch namespace {result['namespace']}",
        "ok": True,
    }
    assert await _gone(platform, result["namespace"])


async def test_the_self_test_stops_before_creating_anything_when_namespaces_are_refused(
    platform: Platform, sim_faults: faults.Faults
) -> None:
    sim_faults.set([{"verb": "patch", "resource": "namespaces", "error": "403"}])
    result = await _selftest(platform)
    assert result["ok"] is False
    assert result["failedStep"] == f"dry-run apply Namespace/{result['namespace']}"
    assert [s["step"] for s in result["steps"]] == ["cluster reachable", result["failedStep"]]

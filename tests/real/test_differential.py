"""The simulator kept honest: one scripted sequence of API calls runs against ``nsaas.sim`` and the
real kube-apiserver, and the two must answer alike: status codes, ``reason``s of errors, and the
shape of objects (their top-level, metadata and status keys, and the values the script checks).

Differences are fixed in the simulator; the few that are not are listed in ``docs/simulator.md``
("Known differences from kube-apiserver") and in :data:`KNOWN` here, and asserted as such, so a
difference appearing, or a known one going away, fails this test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from lightkube import KubeConfig
from lightkube.config import client_adapter

pytestmark = pytest.mark.real

CM = "/api/v1/namespaces/{ns}/configmaps"
APPLY = {"Content-Type": "application/apply-patch+yaml"}
MERGE = {"Content-Type": "application/merge-patch+json"}

#: step -> (simulator's answer, real server's answer) for the differences that remain, on purpose
#: (docs/simulator.md, "Known differences from kube-apiserver").
KNOWN: dict[str, tuple[Any, Any]] = {
    # The simulator does not detect server-side apply conflicts between field managers.
    "apply by another manager, conflicting": (
        {
            "code": 200,
            "shape": {
                "metadata": ["creationTimestamp", "managedFields", "name", "namespace", "resourceVersion", "uid"],
                "top": ["apiVersion", "data", "kind", "metadata"],
            },
        },
        {"code": 409, "reason": "Conflict"},
    ),
    # The simulator's namespace controller finalizes within milliseconds: the namespace is gone
    # (404) where kube-apiserver still has it Terminating (403 Forbidden).
    "create in terminating namespace": ({"code": 404, "reason": "NotFound"}, {"code": 403, "reason": "Forbidden"}),
}


def _drop_metadata_keys(*keys: str) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    def normalise(sim: dict[str, Any], real: dict[str, Any]) -> None:
        for seen in [*sim.values(), *real.values()]:
            metadata = seen.get("shape", {}).get("metadata")
            if metadata is not None:
                seen["shape"]["metadata"] = [k for k in metadata if k not in keys]

    return normalise


def _without_root_ca(sim: dict[str, Any], real: dict[str, Any]) -> None:
    for seen in real.values():
        if "names" in seen:
            seen["names"] = [n for n in seen["names"] if n != "kube-root-ca.crt"]
        if "events" in seen:
            seen["events"] = [e for e in seen["events"] if e[1] != "kube-root-ca.crt"]


#: Known differences of shape, taken out before comparing; each must still be there (else the
#: simulator was fixed and the entry, here and in docs/simulator.md, must go).
NORMALISATIONS: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {
    # kube-apiserver sets metadata.generation only for kinds with a spec (not ConfigMaps or
    # Namespaces); the simulator on every object. Empty labels are kept (kube-apiserver omits
    # empty maps), and a deleted namespace gets deletionGracePeriodSeconds.
    "generation, empty labels, namespace grace period": _drop_metadata_keys(
        "generation", "labels", "deletionGracePeriodSeconds"
    ),
    # kube-controller-manager publishes kube-root-ca.crt into every namespace; the simulator does not.
    "kube-root-ca.crt": _without_root_ca,
}


@dataclass
class Transcript:
    """What one server answered at each step, as comparable values."""

    steps: dict[str, Any] = field(default_factory=dict)

    def record(self, step: str, response: httpx.Response, *, pick: tuple[str, ...] = ()) -> dict[str, Any]:
        body = response.json() if response.content else {}
        seen: dict[str, Any] = {"code": response.status_code}
        if body.get("kind") == "Status":
            seen["reason"] = body.get("reason")
        else:
            seen["shape"] = shape(body)
            for path in pick:
                seen[path] = dig(body, path)
        self.steps[step] = seen
        return body


def shape(obj: dict[str, Any]) -> dict[str, Any]:
    """The keys an object has at the top, in metadata and in status (values vary by server)."""
    found: dict[str, Any] = {"top": sorted(obj)}
    if isinstance(obj.get("metadata"), dict):
        found["metadata"] = sorted(obj["metadata"])
    if isinstance(obj.get("status"), dict):
        found["status"] = sorted(obj["status"])
    return found


def dig(obj: Any, path: str) -> Any:
    for part in path.split("."):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def _client(kubeconfig: Path) -> httpx.AsyncClient:
    """lightkube's own HTTP client for the kubeconfig: server, CA trust and credentials."""
    config = KubeConfig.from_file(str(kubeconfig)).get()
    client: httpx.AsyncClient = client_adapter.AsyncClient(config, client_adapter.ConnectionParams())
    return client


def configmap(name: str, *, labels: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels or {}, **extra.pop("meta", {})}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {"k": "v"}, **extra}


async def watch_events(http: httpx.AsyncClient, url: str, *, want: int, seconds: float = 5.0) -> list[tuple[str, str]]:
    """(type, name or reason) of the first ``want`` events of a watch."""
    events: list[tuple[str, str]] = []

    async def read() -> None:
        async with http.stream("GET", url) as stream:
            async for line in stream.aiter_lines():
                if not line.strip():
                    continue
                event = json.loads(line)
                obj = event["object"]
                label = obj.get("reason") if event["type"] == "ERROR" else obj["metadata"]["name"]
                events.append((event["type"], str(label)))
                if len(events) >= want:
                    return

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(read(), timeout=seconds)
    return events


async def script(http: httpx.AsyncClient) -> Transcript:
    t = Transcript()
    ns = f"diff-{uuid.uuid4().hex[:8]}"
    cms = CM.format(ns=ns)
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {"team": "a"}}}

    t.record("create namespace", await http.post("/api/v1/namespaces", json=namespace), pick=("status.phase",))
    t.record("create namespace again", await http.post("/api/v1/namespaces", json=namespace))
    before = (await http.get(cms)).json()["metadata"]["resourceVersion"]

    t.record("create configmap", await http.post(cms, json=configmap("a", labels={"app": "web", "tier": "front"})))
    t.record("create configmap again", await http.post(cms, json=configmap("a")))
    t.record("create configmap, bad name", await http.post(cms, json=configmap("Not_A_Name")))
    t.record(
        "create configmap in missing namespace", await http.post(CM.format(ns=ns + "-missing"), json=configmap("a"))
    )

    # Server-side apply: create, then apply again without one key (the manager gives it up).
    applied = configmap("b", labels={"app": "db"})
    applied["data"] = {"keep": "1", "drop": "2"}
    url = f"{cms}/b?fieldManager=diff-test"
    t.record("apply creates", await http.patch(url, content=json.dumps(applied), headers=APPLY))
    applied["data"] = {"keep": "1"}
    t.record("apply without a field", await http.patch(url, content=json.dumps(applied), headers=APPLY), pick=("data",))
    t.record("apply without fieldManager", await http.patch(f"{cms}/b", content=json.dumps(applied), headers=APPLY))

    # Optimistic concurrency: a PUT with a stale resourceVersion is refused.
    current = (await http.get(f"{cms}/a")).json()
    stale = json.loads(json.dumps(current))
    current["data"] = {"k": "v2"}
    t.record("put current", await http.put(f"{cms}/a", json=current), pick=("data",))
    stale["data"] = {"k": "v3"}
    t.record("put stale", await http.put(f"{cms}/a", json=stale))

    # Label selectors.
    await http.post(cms, json=configmap("c", labels={"app": "web"}))
    for selector in ("app=web", "app!=web", "app in (web,db)", "app notin (web)", "tier", "!tier"):
        listed = await http.get(cms, params={"labelSelector": selector})
        names = sorted(item["metadata"]["name"] for item in listed.json()["items"])
        t.steps[f"list {selector}"] = {"code": listed.status_code, "names": names}

    # dryRun: the answer is the object, nothing is stored.
    t.record("dry-run create", await http.post(cms, params={"dryRun": "All"}, json=configmap("d")))
    t.record("get after dry-run", await http.get(f"{cms}/d"))

    # Finalizers hold a deleted object until they are removed.
    held = configmap("e", meta={"finalizers": ["example.com/hold"]})
    await http.post(cms, json=held)
    t.record("delete held object", await http.delete(f"{cms}/e"), pick=("metadata.finalizers",))
    t.record("get held object", await http.get(f"{cms}/e"), pick=("metadata.finalizers",))
    released = await http.patch(f"{cms}/e", json={"metadata": {"finalizers": None}}, headers=MERGE)
    t.steps["release finalizer"] = {"code": released.status_code}
    t.record("get released object", await http.get(f"{cms}/e"))

    # Watch from a resourceVersion taken before all of the above: the history is replayed.
    events = await watch_events(http, f"{cms}?watch=1&resourceVersion={before}", want=8)
    t.steps["watch from an old resourceVersion"] = {"events": events}

    # Server-side apply by a second manager of a field the first one owns, with another value.
    conflicting = {**applied, "data": {"keep": "other"}}
    t.record(
        "apply by another manager, conflicting",
        await http.patch(f"{cms}/b?fieldManager=intruder", content=json.dumps(conflicting), headers=APPLY),
    )

    # Namespace deletion: Terminating, no new content, then gone.
    t.record("delete namespace", await http.delete(f"/api/v1/namespaces/{ns}"), pick=("status.phase",))
    t.record("create in terminating namespace", await http.post(cms, json=configmap("f")))
    for _ in range(600):
        if (await http.get(f"/api/v1/namespaces/{ns}")).status_code == 404:
            break
        await asyncio.sleep(0.1)
    t.record("get deleted namespace", await http.get(f"/api/v1/namespaces/{ns}"))
    return t


async def test_the_simulator_answers_the_script_as_the_real_api_server_does(
    sim_kubeconfig: Path, real_kubeconfig: Path
) -> None:
    transcripts = {}
    for name, kubeconfig in (("sim", sim_kubeconfig), ("real", real_kubeconfig)):
        async with _client(kubeconfig) as http:
            transcripts[name] = (await script(http)).steps
    sim, real = transcripts["sim"], transcripts["real"]
    assert sim.keys() == real.keys()
    for name, normalise in NORMALISATIONS.items():
        before = json.dumps([sim, real], sort_keys=True)
        normalise(sim, real)
        assert json.dumps([sim, real], sort_keys=True) != before, f"known difference {name!r} is gone: drop it"
    differences = {step: (sim[step], real[step]) for step in sim if sim[step] != real[step]}
    assert differences == KNOWN, json.dumps(differences, indent=1, sort_keys=True)

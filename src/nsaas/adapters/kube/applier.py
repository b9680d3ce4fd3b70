"""Apply a bundle with server-side apply, then prune what the bundle no longer contains.

Capsule's lesson, kept here: failures of one object are collected, not allowed to block the
others (a missing Istio CRD must not stop the NetworkPolicies). The one dependency honoured is
the Namespace: if it cannot be applied, nothing can be created inside it, so those objects are
reported as skipped instead of producing a page of identical 404s.

Prune is deliberately narrow. It lists, per namespaced kind of :data:`bundle.model.KINDS`, the
objects carrying *exactly* the bundle's selector labels in the bundle's namespace (and in the
home namespace of kinds that live elsewhere, such as Velero Schedules), and deletes those whose
key is not in the bundle. It re-checks the labels of every candidate client-side, never deletes
a Namespace, and skips kinds the cluster does not serve. Nothing else can be touched.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nsaas.adapters.kube import api, results
from nsaas.bundle import model
from nsaas.domain import errors


def carries_selector(labels: Mapping[str, str] | None, selector: Mapping[str, str]) -> bool:
    """True only if every selector label is present with the same value (an empty selector matches nothing).

    An empty selector would list every object of a kind; treating it as "matches nothing" makes a
    renderer bug harmless instead of catastrophic.
    """
    if not selector:
        return False
    live = labels or {}
    return all(live.get(key) == value for key, value in selector.items())


def _identity(manifest: Mapping[str, Any]) -> tuple[str, str, str | None, str]:
    meta = manifest["metadata"]
    return manifest["apiVersion"], manifest["kind"], meta.get("namespace"), meta["name"]


@dataclass
class _Outcome:
    applied: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    #: Keys in ``failed`` whose cause was the cluster being unreachable (429, 5xx, drops, breaker).
    unreachable: set[str] = field(default_factory=set)

    def fail(self, key: str, exc: errors.ClusterError, *, prefix: str = "") -> None:
        self.failed[key] = prefix + exc.message
        if isinstance(exc, errors.ClusterUnavailable):
            self.unreachable.add(key)

    def freeze(self) -> results.ApplyResult:
        # Objects of one kind finish in any order; sort so results (and logs) are reproducible.
        return results.ApplyResult(
            applied=tuple(sorted(self.applied)),
            pruned=tuple(sorted(self.pruned)),
            failed=dict(self.failed),
            skipped=tuple(self.skipped),
            unreachable=tuple(sorted(self.unreachable)),
        )


def _waves(manifests: Iterable[model.Manifest]) -> list[list[model.Manifest]]:
    """Objects grouped by kind, in :data:`model.KINDS` order (unknown kinds last).

    Kinds are applied one after another (the Namespace first, RBAC before its users, as the
    bundle model documents); objects of the same kind are independent, so they go out together.
    """
    order = model.KIND_ORDER
    groups: dict[int, list[model.Manifest]] = {}
    for manifest in manifests:
        groups.setdefault(order.get((manifest["apiVersion"], manifest["kind"]), len(order)), []).append(manifest)
    return [groups[index] for index in sorted(groups)]


async def apply_bundle(*, kube: api.KubeApi, bundle: model.Bundle, prune: bool = True) -> results.ApplyResult:
    """Apply every object of ``bundle`` (collecting failures), then prune if asked. Safe to repeat."""
    outcome = _Outcome()
    for wave in _waves(bundle.manifests):
        if f"Namespace/{bundle.namespace}" in outcome.failed:
            for manifest in wave:
                _skip(manifest, bundle=bundle, outcome=outcome)
            continue
        await asyncio.gather(*(_apply_one(kube=kube, manifest=m, bundle=bundle, outcome=outcome) for m in wave))
    if prune and f"Namespace/{bundle.namespace}" not in outcome.failed:
        await _prune(kube=kube, bundle=bundle, outcome=outcome)
    return outcome.freeze()


def _skip(manifest: model.Manifest, *, bundle: model.Bundle, outcome: _Outcome) -> None:
    key = results.object_key(manifest)
    if manifest["metadata"].get("namespace"):
        outcome.skipped.append(key)
        outcome.failed[key] = f"skipped: namespace {bundle.namespace} could not be applied"


async def _apply_one(*, kube: api.KubeApi, manifest: model.Manifest, bundle: model.Bundle, outcome: _Outcome) -> None:
    key = results.object_key(manifest)
    try:
        await kube.apply(manifest=manifest)
    except errors.ClusterError as exc:
        outcome.fail(key, exc)
    else:
        outcome.applied.append(key)


def prune_scopes(bundle: model.Bundle) -> list[tuple[model.Kind, str]]:
    """(kind, namespace) pairs prune looks in: the bundle's namespace, or for a kind with a home
    namespace (Velero Schedules) only the bundle's other namespaces: such objects never live in
    the tenant's, and the platform's role may read them only at home."""
    scopes: list[tuple[model.Kind, str]] = []
    for kind in model.KINDS:
        if not kind.namespaced:
            continue
        namespaces = bundle.extra_namespaces if kind.home_namespace_setting else (bundle.namespace,)
        scopes.extend((kind, namespace) for namespace in dict.fromkeys(namespaces))
    return scopes


async def _prune(*, kube: api.KubeApi, bundle: model.Bundle, outcome: _Outcome) -> None:
    """List every scope concurrently, then delete the strays concurrently."""
    scopes = prune_scopes(bundle)
    listed = await asyncio.gather(
        *(_list_scope(kube=kube, kind=k, namespace=ns, bundle=bundle, outcome=outcome) for k, ns in scopes)
    )
    wanted = bundle.keys()
    strays = [obj for objects in listed for obj in objects if _is_stray(obj, bundle=bundle, wanted=wanted)]
    await asyncio.gather(*(_delete_stray(kube=kube, obj=obj, outcome=outcome) for obj in strays))


async def _list_scope(
    *, kube: api.KubeApi, kind: model.Kind, namespace: str, bundle: model.Bundle, outcome: _Outcome
) -> list[model.Manifest]:
    try:
        live = await kube.list(
            api_version=kind.api_version, kind=kind.kind, namespace=namespace, labels=bundle.selector
        )
    except errors.ClusterNotFound:
        return []  # kind not served by this cluster (CRD absent) or namespace gone: nothing to prune
    except errors.ClusterError as exc:
        outcome.fail(f"{kind.kind}/{namespace}/*", exc, prefix="prune: ")
        return []
    # List items from kube-apiserver omit apiVersion/kind: take them from the kind listed.
    return [{**item, "apiVersion": kind.api_version, "kind": kind.kind} for item in live]


def _is_stray(obj: model.Manifest, *, bundle: model.Bundle, wanted: set[tuple[str, str, str | None, str]]) -> bool:
    """Ours (exact selector, re-checked here) and no longer in the bundle."""
    labels = (obj.get("metadata") or {}).get("labels")
    return _identity(obj) not in wanted and carries_selector(labels, bundle.selector)


async def _delete_stray(*, kube: api.KubeApi, obj: model.Manifest, outcome: _Outcome) -> None:
    meta = obj["metadata"]
    key = results.object_key(obj)
    try:
        if await kube.delete(
            api_version=obj["apiVersion"], kind=obj["kind"], name=meta["name"], namespace=meta.get("namespace")
        ):
            outcome.pruned.append(key)
    except errors.ClusterError as exc:
        outcome.fail(key, exc, prefix="prune: ")

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

    def freeze(self) -> results.ApplyResult:
        return results.ApplyResult(
            applied=tuple(self.applied),
            pruned=tuple(self.pruned),
            failed=dict(self.failed),
            skipped=tuple(self.skipped),
        )


def _in_apply_order(manifests: Iterable[model.Manifest]) -> list[model.Manifest]:
    """Stable sort by kind order (the renderer already orders them; this keeps a hand-built bundle safe)."""
    order = model.KIND_ORDER
    return sorted(manifests, key=lambda m: order.get((m["apiVersion"], m["kind"]), len(order)))


async def apply_bundle(*, kube: api.KubeApi, bundle: model.Bundle, prune: bool = True) -> results.ApplyResult:
    """Apply every object of ``bundle`` (collecting failures), then prune if asked. Safe to repeat."""
    outcome = _Outcome()
    namespace_failed = False
    for manifest in _in_apply_order(bundle.manifests):
        key = results.object_key(manifest)
        if namespace_failed and manifest["metadata"].get("namespace"):
            outcome.skipped.append(key)
            outcome.failed[key] = f"skipped: namespace {bundle.namespace} could not be applied"
            continue
        try:
            await kube.apply(manifest=manifest)
        except errors.ClusterError as exc:
            outcome.failed[key] = exc.message
            namespace_failed = namespace_failed or manifest["kind"] == "Namespace"
        else:
            outcome.applied.append(key)
    if prune and not namespace_failed:
        await _prune(kube=kube, bundle=bundle, outcome=outcome)
    return outcome.freeze()


def prune_scopes(bundle: model.Bundle) -> list[tuple[model.Kind, str]]:
    """(kind, namespace) pairs prune looks in: the bundle's namespace, plus home namespaces where they apply."""
    scopes: list[tuple[model.Kind, str]] = []
    for kind in model.KINDS:
        if not kind.namespaced:
            continue
        namespaces = (
            (bundle.namespace, *bundle.extra_namespaces) if kind.home_namespace_setting else (bundle.namespace,)
        )
        scopes.extend((kind, namespace) for namespace in dict.fromkeys(namespaces))
    return scopes


async def _prune(*, kube: api.KubeApi, bundle: model.Bundle, outcome: _Outcome) -> None:
    wanted = bundle.keys()
    for kind, namespace in prune_scopes(bundle):
        try:
            live = await kube.list(
                api_version=kind.api_version, kind=kind.kind, namespace=namespace, labels=bundle.selector
            )
        except errors.ClusterNotFound:
            continue  # kind not served by this cluster (CRD absent) or namespace gone: nothing to prune
        except errors.ClusterError as exc:
            outcome.failed[f"{kind.kind}/{namespace}/*"] = f"prune: {exc.message}"
            continue
        for item in live:
            # List items from kube-apiserver omit apiVersion/kind: take them from the kind listed.
            obj = {**item, "apiVersion": kind.api_version, "kind": kind.kind}
            await _prune_one(kube=kube, obj=obj, bundle=bundle, wanted=wanted, outcome=outcome)


async def _prune_one(
    *,
    kube: api.KubeApi,
    obj: model.Manifest,
    bundle: model.Bundle,
    wanted: set[tuple[str, str, str | None, str]],
    outcome: _Outcome,
) -> None:
    meta = obj.get("metadata") or {}
    if _identity(obj) in wanted or not carries_selector(meta.get("labels"), bundle.selector):
        return
    key = results.object_key(obj)
    try:
        if await kube.delete(
            api_version=obj["apiVersion"], kind=obj["kind"], name=meta["name"], namespace=meta.get("namespace")
        ):
            outcome.pruned.append(key)
    except errors.ClusterError as exc:
        outcome.failed[key] = f"prune: {exc.message}"

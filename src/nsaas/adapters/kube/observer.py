"""Observe a bundle: is the namespace there, does every object still hold what the platform set?

Level-triggered reconciling needs a cheap, exact answer to "is the cluster as we want it?".
Each object of the bundle is fetched and compared with :func:`compare.differences` (the desired
manifest as a subset of the live object), so a quota raised out of band or a deleted
NetworkPolicy shows up as drift even though nothing told the platform about it. When the
namespace does not exist, nothing inside it is fetched: everything is simply missing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from nsaas.adapters.kube import api, compare, quantity, results
from nsaas.bundle import model

#: Reported when a live namespace has no phase yet; never counts as ready.
PHASE_UNKNOWN = "Unknown"


async def observe_bundle(*, kube: api.KubeApi, bundle: model.Bundle, digest_annotation: str) -> results.Observation:
    """The live state of ``bundle``; see :class:`results.Observation` for what ``matches`` means."""
    namespace = await kube.get(api_version="v1", kind="Namespace", name=bundle.namespace)
    if namespace is None:
        states = tuple(results.ObjectState(key=results.object_key(m), exists=False) for m in bundle.manifests)
        return results.Observation(namespace=bundle.namespace, phase=None, objects=states)
    live_by_index = await _fetch_all(kube=kube, manifests=bundle.manifests, namespace_object=namespace)
    states = tuple(_state(m, live) for m, live in zip(bundle.manifests, live_by_index, strict=True))
    meta = namespace.get("metadata") or {}
    return results.Observation(
        namespace=bundle.namespace,
        phase=(namespace.get("status") or {}).get("phase") or PHASE_UNKNOWN,
        objects=states,
        digest=(meta.get("annotations") or {}).get(digest_annotation),
        quota=_quota_usage(bundle, live_by_index),
    )


async def _fetch_all(
    *, kube: api.KubeApi, manifests: tuple[model.Manifest, ...], namespace_object: model.Manifest
) -> list[model.Manifest | None]:
    """Fetch every object concurrently (the Namespace is already in hand); the first failure is raised.

    ``gather(return_exceptions=True)`` rather than a TaskGroup so callers get the domain error
    itself, not an ExceptionGroup, and no fetch is left running when one fails.
    """
    fetched = await asyncio.gather(*(_fetch(kube, m, namespace_object) for m in manifests), return_exceptions=True)
    for item in fetched:
        if isinstance(item, BaseException):
            raise item
    return [item for item in fetched if not isinstance(item, BaseException)]


async def _fetch(kube: api.KubeApi, manifest: model.Manifest, namespace_object: model.Manifest) -> Any:
    if manifest["kind"] == "Namespace" and manifest["apiVersion"] == "v1":
        return namespace_object
    meta = manifest["metadata"]
    return await kube.get(
        api_version=manifest["apiVersion"], kind=manifest["kind"], name=meta["name"], namespace=meta.get("namespace")
    )


def _state(desired: model.Manifest, live: model.Manifest | None) -> results.ObjectState:
    key = results.object_key(desired)
    if live is None:
        return results.ObjectState(key=key, exists=False)
    wanted = {k: v for k, v in desired.items() if k not in ("apiVersion", "kind", "status")}
    return results.ObjectState(key=key, exists=True, differences=tuple(compare.differences(wanted, live)))


def _quota_usage(bundle: model.Bundle, live_by_index: list[model.Manifest | None]) -> dict[str, results.ResourceUsage]:
    """Usage of the bundle's (first) ResourceQuota, from its live ``status``."""
    for desired, live in zip(bundle.manifests, live_by_index, strict=True):
        if desired["kind"] == "ResourceQuota" and live is not None:
            status = live.get("status") or {}
            return quantity.usage(hard=status.get("hard") or {}, used=status.get("used") or {})
    return {}

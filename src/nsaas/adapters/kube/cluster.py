"""The cluster port's implementation: everything the services ask of a Kubernetes cluster.

:class:`Cluster` is the one object services hold (through ``services.ports.Cluster``). It is
the same code against a real AKS cluster and against the embedded simulator; only the
kubeconfig differs. Every method raises only :mod:`nsaas.domain.errors` types:
``ClusterUnavailable`` (transient: retry later), ``ClusterNotFound``, ``ClusterConflict``,
``ClusterRejected`` (the server refused the object) or ``ConfigurationError``.

Safety properties the methods keep, whatever the caller passes:

* only kinds in :data:`client.KNOWN_KINDS` are ever written;
* prune and :meth:`delete_by_selector` delete only objects carrying the bundle's exact selector;
* :meth:`delete_namespace` deletes only a namespace carrying the managed label and the caller's
  request id, so neither an unmanaged namespace nor another request's can be removed.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any

from lightkube import AsyncClient

from nsaas import config
from nsaas.adapters.kube import api, applier, client, observer, quantity, resilience, results, watching, workflows
from nsaas.bundle import model
from nsaas.domain import errors

Manifest = results.Manifest


class Cluster:
    """Async adapter over one Kubernetes API server. Close it with :meth:`aclose`."""

    def __init__(
        self,
        lightkube_client: AsyncClient,
        *,
        settings: config.Settings,
        sleep: resilience.Sleep = asyncio.sleep,
        clock: resilience.Clock = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        caller = resilience.Resilient(settings.cluster, sleep=sleep, clock=clock, rng=rng)
        self._kube = api.KubeApi(
            lightkube_client,
            caller=caller,
            field_manager=settings.cluster.field_manager,
            timeout_seconds=settings.cluster.request_timeout_seconds,
        )
        self._digest_annotation = f"{settings.labels.prefix}/bundle-digest"

    @classmethod
    def from_settings(cls, settings: config.Settings) -> Cluster:
        """Connect as configured: ``NSAAS_KUBECONFIG`` (+ context), else in-cluster, else ``KUBECONFIG``."""
        return cls(client.connect(settings=settings), settings=settings)

    @classmethod
    def from_token(cls, *, server: str, token: str, settings: config.Settings, ca_file: str | None = None) -> Cluster:
        """Connect to ``server`` with a bearer token."""
        return cls(client.connect_to(server=server, token=token, settings=settings, ca_file=ca_file), settings=settings)

    @property
    def stats(self) -> resilience.CallStats:
        """Calls, attempts, retries and fast failures so far (for tests, benchmarks and debugging)."""
        return self._kube.caller.stats

    @property
    def circuit_open(self) -> bool:
        return self._kube.caller.breaker.is_open

    # -- bundles ---------------------------------------------------------------------------

    async def apply(self, *, bundle: model.Bundle, prune: bool = True) -> results.ApplyResult:
        """Server-side apply every object of ``bundle`` in dependency order, then prune.

        Failures of single objects are collected in ``ApplyResult.failed`` (object key ->
        message) and do not stop the others; if the Namespace fails, objects inside it are
        skipped. Safe to call again at any time: it converges.
        """
        return await applier.apply_bundle(kube=self._kube, bundle=bundle, prune=prune)

    async def observe(self, *, bundle: model.Bundle) -> results.Observation:
        """Namespace phase, per-object existence and drift, the applied digest and quota usage."""
        return await observer.observe_bundle(kube=self._kube, bundle=bundle, digest_annotation=self._digest_annotation)

    async def delete_by_selector(self, *, bundle: model.Bundle) -> tuple[str, ...]:
        """Delete the bundle's objects that live outside its namespace (e.g. the Velero Schedule).

        Deleting the namespace removes everything inside it; this is for the rest. Only objects
        carrying the bundle's exact selector are deleted. Returns the keys deleted.
        """
        deleted: list[str] = []
        for kind, namespace in applier.prune_scopes(bundle):
            if namespace == bundle.namespace:
                continue
            try:
                live = await self._kube.list(
                    api_version=kind.api_version, kind=kind.kind, namespace=namespace, labels=bundle.selector
                )
            except errors.ClusterNotFound:
                continue
            for obj in live:
                meta = obj.get("metadata") or {}
                if applier.carries_selector(meta.get("labels"), bundle.selector) and await self._kube.delete(
                    api_version=kind.api_version, kind=kind.kind, name=meta["name"], namespace=namespace
                ):
                    deleted.append(f"{kind.kind}/{namespace}/{meta['name']}")
        return tuple(deleted)

    # -- namespaces ------------------------------------------------------------------------

    async def namespace_info(self, name: str) -> results.NamespaceInfo | None:
        """The live namespace's phase, labels and annotations, or None if it does not exist."""
        live = await self._kube.get(api_version="v1", kind="Namespace", name=name)
        return None if live is None else _namespace_info(live)

    async def list_namespaces(self, *, labels: Mapping[str, str]) -> list[results.NamespaceInfo]:
        """Namespaces carrying ``labels`` (e.g. the managed label): for finding orphans and deletions."""
        return [_namespace_info(ns) for ns in await self._kube.list(api_version="v1", kind="Namespace", labels=labels)]

    async def quota_usage(self, *, labels: Mapping[str, str]) -> dict[str, dict[str, results.ResourceUsage]]:
        """namespace -> quota resource -> usage, from the live ``status`` of every ResourceQuota
        carrying ``labels`` in any namespace (one list call; the quota controller fills ``used``)."""
        found: dict[str, dict[str, results.ResourceUsage]] = {}
        for quota in await self._kube.list(api_version="v1", kind="ResourceQuota", namespace="*", labels=labels):
            status = quota.get("status") or {}
            lines = quantity.usage(hard=status.get("hard") or {}, used=status.get("used") or {})
            found.setdefault(str(quota["metadata"]["namespace"]), {}).update(lines)
        return found

    async def delete_namespace(
        self, *, name: str, request_id: str, managed_label: tuple[str, str], request_id_label: str
    ) -> bool:
        """Start deleting a namespace this request owns; True once deletion started or it is gone.

        Raises :class:`errors.ClusterConflict` (nothing deleted) if the live namespace lacks the
        managed label or belongs to another request id.
        """
        info = await self.namespace_info(name)
        if info is None:
            return True
        key, value = managed_label
        if info.labels.get(key) != value:
            raise errors.ClusterConflict(
                f"refusing to delete namespace {name}: it is not managed by the platform",
                details={"namespace": f"label {key}={value} missing"},
            )
        owner = info.labels.get(request_id_label)
        if owner != request_id:
            raise errors.ClusterConflict(
                f"refusing to delete namespace {name}: it belongs to another request",
                details={"namespace": f"{request_id_label} is {owner!r}, not {request_id!r}"},
            )
        if info.terminating:
            return True
        await self._kube.delete(api_version="v1", kind="Namespace", name=name)
        return True

    async def watch_namespaces(
        self, *, labels: Mapping[str, str] | None = None, resource_version: str | None = None
    ) -> AsyncIterator[results.WatchEvent]:
        """Namespace changes after ``resource_version`` (all current ones first if None); resumes itself."""
        async for event in watching.watch(
            kube=self._kube, api_version="v1", kind="Namespace", labels=labels, resource_version=resource_version
        ):
            yield event

    # -- generic objects and Argo ----------------------------------------------------------

    async def apply_object(self, *, manifest: Mapping[str, Any], dry_run: bool = False) -> Manifest:
        """Server-side apply of one object of a known kind (e.g. loading a WorkflowTemplate).

        With ``dry_run`` the API server validates and admits it (``dryRun=All``) but stores nothing.
        """
        return await self._kube.apply(manifest=manifest, dry_run=dry_run)

    async def get_object(
        self, *, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Manifest | None:
        """One live object of a known kind, or None."""
        return await self._kube.get(api_version=api_version, kind=kind, name=name, namespace=namespace)

    async def create_workflow(self, *, manifest: Mapping[str, Any]) -> Manifest:
        """Submit an Argo Workflow; if one with this name exists already, return it (idempotent)."""
        return await workflows.create_workflow(kube=self._kube, manifest=manifest)

    async def get_workflow(self, *, namespace: str, name: str) -> Manifest | None:
        return await workflows.get_workflow(kube=self._kube, namespace=namespace, name=name)

    async def delete_workflow(self, *, namespace: str, name: str) -> bool:
        """Delete a Workflow; False if it was already gone."""
        return await workflows.delete_workflow(kube=self._kube, namespace=namespace, name=name)

    async def watch_workflows(
        self, *, namespace: str, labels: Mapping[str, str] | None = None, resource_version: str | None = None
    ) -> AsyncIterator[results.WatchEvent]:
        """Workflow changes in ``namespace``; resumes from the last version after a dropped connection."""
        async for event in watching.watch(
            kube=self._kube,
            api_version=client.WORKFLOW.api_version,
            kind=client.WORKFLOW.kind,
            namespace=namespace,
            labels=labels,
            resource_version=resource_version,
        ):
            yield event

    # -- GitOps NamespaceRequests (read, watch, status only) ---------------------------------

    async def list_namespace_requests(self, *, namespace: str) -> list[Manifest]:
        """Every NamespaceRequest in ``namespace``; ClusterNotFound if the CRD is not installed."""
        kind = client.NAMESPACE_REQUEST
        return await self._kube.list(api_version=kind.api_version, kind=kind.kind, namespace=namespace)

    async def watch_namespace_requests(self, *, namespace: str) -> AsyncIterator[results.WatchEvent]:
        """NamespaceRequest changes in ``namespace`` (current ones first); resumes itself."""
        kind = client.NAMESPACE_REQUEST
        async for event in watching.watch(
            kube=self._kube, api_version=kind.api_version, kind=kind.kind, namespace=namespace
        ):
            yield event

    async def write_namespace_request_status(self, *, namespace: str, name: str, status: Mapping[str, Any]) -> None:
        """Write a NamespaceRequest's status subresource (never its spec)."""
        kind = client.NAMESPACE_REQUEST
        await self._kube.patch_status(
            api_version=kind.api_version, kind=kind.kind, name=name, namespace=namespace, status=status
        )

    # -- health ----------------------------------------------------------------------------

    async def version(self) -> dict[str, Any]:
        """The API server's ``/version`` document."""
        return await self._kube.version()

    async def missing_api_versions(self, required: Iterable[str]) -> list[str]:
        """Those of ``required`` (``group/version``) that the API server does not serve, sorted."""
        served = await self._kube.api_versions()
        return sorted(set(required) - served)

    async def ping(self) -> bool:
        """True if the API server answers ``/version`` (readiness); never raises for cluster errors."""
        try:
            await self._kube.version()
        except errors.ClusterError:
            return False
        return True

    async def aclose(self) -> None:
        await self._kube.aclose()


def _namespace_info(live: Manifest) -> results.NamespaceInfo:
    meta = live.get("metadata") or {}
    return results.NamespaceInfo(
        name=meta.get("name", ""),
        phase=(live.get("status") or {}).get("phase"),
        labels=dict(meta.get("labels") or {}),
        annotations=dict(meta.get("annotations") or {}),
        uid=meta.get("uid"),
    )

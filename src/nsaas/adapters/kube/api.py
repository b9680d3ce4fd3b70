"""Dict in, dict out: the few Kubernetes API verbs nsaas uses, each with retries and error mapping.

This is the only module that calls the lightkube client. Every method takes and returns plain
manifests and raises only :mod:`nsaas.domain.errors` types, so the applier, observer and the
:class:`~nsaas.adapters.kube.cluster.Cluster` facade read like the Kubernetes documentation
rather than like a client library.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx2
from lightkube import AsyncClient
from lightkube.config import client_adapter
from lightkube.types import PatchType

from nsaas.adapters.kube import client, resilience, results
from nsaas.domain import errors

Manifest = results.Manifest


def _where(kind: str, name: str | None, namespace: str | None) -> str:
    return "/".join(part for part in (kind, namespace, name) if part)


class KubeApi:
    """The lightkube client plus a :class:`resilience.Resilient` caller."""

    def __init__(
        self,
        lightkube_client: AsyncClient,
        *,
        caller: resilience.Resilient,
        field_manager: str,
        timeout_seconds: float,
    ) -> None:
        self._client = lightkube_client
        self.caller = caller
        self._field_manager = field_manager
        self._timeout_seconds = timeout_seconds
        #: Plain HTTP client for the non-resource endpoint /version, created on first use.
        self._http: httpx2.AsyncClient | None = None

    async def get(self, *, api_version: str, kind: str, name: str, namespace: str | None = None) -> Manifest | None:
        """The live object, or None if it (or its kind, or its namespace) does not exist."""
        res: Any = client.resource_class(api_version, kind)

        async def run() -> Any:
            if namespace is None:
                return await self._client.get(res, name)
            return await self._client.get(res, name, namespace=namespace)

        try:
            return client.to_manifest(await self.caller.call("get", _where(kind, name, namespace), run))
        except errors.ClusterNotFound:
            return None

    async def list(
        self, *, api_version: str, kind: str, namespace: str | None = None, labels: Mapping[str, str] | None = None
    ) -> list[Manifest]:
        """Every object of a kind (in a namespace), filtered by equality label selector.

        Raises :class:`errors.ClusterNotFound` when the kind is not served (CRD not installed):
        callers decide whether that is an error (apply) or nothing to do (prune).
        """
        res: Any = client.resource_class(api_version, kind)
        selector: dict[str, Any] | None = dict(labels) if labels else None

        async def run() -> list[Any]:
            if namespace is None:
                return [obj async for obj in self._client.list(res, labels=selector)]
            return [obj async for obj in self._client.list(res, namespace=namespace, labels=selector)]

        items = await self.caller.call("list", _where(kind, None, namespace), run)
        return [client.to_manifest(item) for item in items]

    async def apply(self, *, manifest: Mapping[str, Any], force: bool = True, dry_run: bool = False) -> Manifest:
        """Server-side apply of ``manifest`` with the platform's field manager; returns the live object."""
        kind, meta = manifest["kind"], manifest["metadata"]
        res: Any = client.resource_class(manifest["apiVersion"], kind)
        namespace = meta.get("namespace")
        body = dict(manifest)

        async def run() -> Any:
            return await self._client.patch(
                res,
                meta["name"],
                body,
                namespace=namespace,
                patch_type=PatchType.APPLY,
                field_manager=self._field_manager,
                force=force,
                dry_run=dry_run,
            )

        live = await self.caller.call("apply", _where(kind, meta["name"], namespace), run)
        return client.to_manifest(live)

    async def patch_status(
        self, *, api_version: str, kind: str, name: str, namespace: str, status: Mapping[str, Any]
    ) -> Manifest:
        """Merge-patch the status subresource only (the spec belongs to whoever wrote the object)."""
        res: Any = client.resource_class(api_version, kind)

        async def run() -> Any:
            return await self._client.patch(
                res.Status, name, {"status": dict(status)}, namespace=namespace, patch_type=PatchType.MERGE
            )

        return client.to_manifest(await self.caller.call("patch", _where(kind, name, namespace) + "/status", run))

    async def create(self, *, manifest: Mapping[str, Any]) -> Manifest:
        """POST a new object; :class:`errors.ClusterConflict` (409) if the name is taken."""
        meta = manifest["metadata"]
        obj = client.from_manifest(manifest)
        what = _where(manifest["kind"], meta.get("name") or meta.get("generateName"), meta.get("namespace"))

        async def run() -> Any:
            return await self._client.create(obj)

        return client.to_manifest(await self.caller.call("create", what, run))

    async def delete(self, *, api_version: str, kind: str, name: str, namespace: str | None = None) -> bool:
        """Delete an object; False if it was already gone (a retried delete is not an error)."""
        res: Any = client.resource_class(api_version, kind)

        async def run() -> None:
            if namespace is None:
                await self._client.delete(res, name)
            else:
                await self._client.delete(res, name, namespace=namespace)

        try:
            await self.caller.call("delete", _where(kind, name, namespace), run)
        except errors.ClusterNotFound:
            return False
        return True

    async def _get_document(self, path: str, *, verb: str = "get") -> dict[str, Any]:
        """``GET path`` (a non-resource document such as /version or /apis), through the same auth."""
        if self._http is None:
            params = client_adapter.ConnectionParams(timeout=httpx2.Timeout(self._timeout_seconds))
            self._http = client_adapter.AsyncClient(self._client.config, params)
        http = self._http

        async def run() -> dict[str, Any]:
            response = await http.get(path)
            response.raise_for_status()
            body = response.json()
            if not isinstance(body, dict):
                raise errors.ClusterError(f"GET {path} returned something other than an object")
            return body

        return await self.caller.call(verb, f"GET {path}", run)

    async def version(self) -> dict[str, Any]:
        """``GET /version`` of the API server (gitVersion, platform ...)."""
        return await self._get_document("/version", verb="version")

    async def api_versions(self) -> set[str]:
        """Every group version the API server serves (``v1``, ``apps/v1`` ...), from discovery."""
        core = await self._get_document("/api")
        groups = await self._get_document("/apis")
        served = set(core.get("versions") or [])
        for group in groups.get("groups") or []:
            served.update(v["groupVersion"] for v in group.get("versions") or [])
        return served

    def raw_client(self) -> AsyncClient:
        """The lightkube client, for the watch loop (which manages its own reconnects)."""
        return self._client

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        await self._client.aclose()

"""Namespace termination, as kube-controller-manager's namespace controller does it.

Deleting a namespace only marks it (deletionTimestamp, phase Terminating; see ``api``). This
controller then deletes everything inside it, waits for objects held by finalizers, and finally
removes the ``kubernetes`` finalizer from ``spec.finalizers``, at which point the namespace
disappears. Any change inside a terminating namespace triggers another pass.
"""

from __future__ import annotations

from collections.abc import Iterable

from nsaas.sim import errors, resources, store
from nsaas.sim.controllers import base

_NAMESPACE = resources.BUILTIN[0]
MANAGER = "namespace-controller"


class NamespaceController(base.Controller):
    name = "namespaces"

    def keys_for(self, event: store.Event) -> Iterable[str]:
        meta = event.obj["metadata"]
        if event.key == _NAMESPACE.key:
            return [meta["name"]] if meta.get("deletionTimestamp") and event.type != "DELETED" else []
        namespace = meta.get("namespace")
        if namespace:
            ns = self.api.store.get(_NAMESPACE, "", namespace)
            if ns is not None and ns["metadata"].get("deletionTimestamp"):
                return [namespace]
        return []

    async def reconcile(self, key: str) -> None:
        ns = self.api.store.get(_NAMESPACE, "", key)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        if self._delete_contents(key):
            return
        finalizers = [f for f in (ns.get("spec") or {}).get("finalizers") or [] if f != "kubernetes"]
        body = {**ns, "spec": {**(ns.get("spec") or {}), "finalizers": finalizers}}
        try:
            self.api.update(_NAMESPACE, "", key, body, manager=MANAGER, subresource="finalize")
        except errors.ApiError as exc:
            if exc.code != 404:
                raise

    def _delete_contents(self, namespace: str) -> int:
        """Delete every object in the namespace; returns how many still exist (held by finalizers)."""
        remaining = 0
        for rt in self.api.registry.all():
            if not rt.namespaced:
                continue
            for obj in self.api.store.items(rt, namespace):
                if not obj["metadata"].get("deletionTimestamp"):
                    self.api.delete(rt, namespace, obj["metadata"]["name"])
                if self.api.store.get(rt, namespace, obj["metadata"]["name"]) is not None:
                    remaining += 1
        return remaining

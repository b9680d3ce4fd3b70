"""ResourceQuota status: ``status.hard`` mirrors ``spec.hard`` and ``status.used`` is recounted.

Counted: ``pods``, ``services``, ``secrets``, ``configmaps``, ``persistentvolumeclaims``,
``resourcequotas``, ``serviceaccounts`` and ``count/<plural>[.<group>]``; summed over pods'
containers: ``requests.cpu`` / ``cpu``, ``requests.memory`` / ``memory``, ``limits.cpu``,
``limits.memory``; summed over claims: ``requests.storage``. Anything else reports "0".
Quotas are accounted, not enforced: creates beyond ``hard`` are not refused (documented).
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable
from typing import Any

from nsaas.sim import api, quantity, resources, store
from nsaas.sim.controllers import base

MANAGER = "resourcequota-controller"
_COUNTED = {"pods", "services", "secrets", "configmaps", "persistentvolumeclaims", "resourcequotas", "serviceaccounts"}
_POD_SUMS = {
    "requests.cpu": ("requests", "cpu"),
    "cpu": ("requests", "cpu"),
    "requests.memory": ("requests", "memory"),
    "memory": ("requests", "memory"),
    "limits.cpu": ("limits", "cpu"),
    "limits.memory": ("limits", "memory"),
}


class QuotaController(base.Controller):
    name = "quotas"

    def __init__(self, kube: api.Api) -> None:
        super().__init__(kube)
        quota = kube.registry.lookup("", "v1", "resourcequotas")
        assert quota is not None
        self._quota: resources.ResourceType = quota

    def keys_for(self, event: store.Event) -> Iterable[str]:
        namespace = event.obj["metadata"].get("namespace")
        if namespace and self.api.store.count(self._quota, namespace):
            return [namespace]
        return []

    async def reconcile(self, key: str) -> None:
        for quota in self.api.store.items(self._quota, key):
            hard = dict((quota.get("spec") or {}).get("hard") or {})
            status = {"hard": hard, "used": {name: self._used(key, name) for name in hard}}
            if quota.get("status") != status:
                self.api.update(
                    self._quota,
                    key,
                    quota["metadata"]["name"],
                    {**quota, "status": status},
                    manager=MANAGER,
                    subresource="status",
                )

    def _used(self, namespace: str, name: str) -> str:
        if name in _COUNTED:
            return str(self._count(namespace, name, ""))
        if name.startswith("count/"):
            plural, _, group = name.removeprefix("count/").partition(".")
            return str(self._count(namespace, plural, group))
        if name in _POD_SUMS:
            section, resource = _POD_SUMS[name]
            total = sum(
                (self._container_amount(c, section, resource) for c in self._containers(namespace)), decimal.Decimal(0)
            )
            return quantity.format_cpu(total) if resource == "cpu" else quantity.format_bytes(total)
        if name == "requests.storage":
            return quantity.format_bytes(self._claimed_storage(namespace))
        return "0"

    def _count(self, namespace: str, plural: str, group: str) -> int:
        rt = self.api.registry.by_key(f"{plural}.{group}" if group else plural)
        return self.api.store.count(rt, namespace) if rt is not None else 0

    def _containers(self, namespace: str) -> Iterable[dict[str, Any]]:
        pods = self.api.registry.lookup("", "v1", "pods")
        assert pods is not None
        for pod in self.api.store.items(pods, namespace):
            yield from (pod.get("spec") or {}).get("containers") or []

    @staticmethod
    def _container_amount(container: dict[str, Any], section: str, resource: str) -> decimal.Decimal:
        raw = ((container.get("resources") or {}).get(section) or {}).get(resource)
        try:
            return quantity.parse(raw) if raw is not None else decimal.Decimal(0)
        except ValueError:
            return decimal.Decimal(0)

    def _claimed_storage(self, namespace: str) -> decimal.Decimal:
        claims = self.api.registry.lookup("", "v1", "persistentvolumeclaims")
        assert claims is not None
        total = decimal.Decimal(0)
        for claim in self.api.store.items(claims, namespace):
            raw = (((claim.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
            if raw is not None:
                total += quantity.parse(raw)
        return total

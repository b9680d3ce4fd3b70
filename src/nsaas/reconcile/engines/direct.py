"""The ``direct`` engine: server-side apply of the bundle with label-scoped prune, by the platform itself."""

from __future__ import annotations

from typing import Literal

from nsaas import config
from nsaas.bundle import model, ownership
from nsaas.domain import records
from nsaas.reconcile.engines import Progress, Step
from nsaas.services import ports


class DirectEngine:
    name: Literal["direct"] = "direct"

    def __init__(self, *, settings: config.Settings, cluster: ports.Cluster) -> None:
        self.cluster = cluster
        self.ownership = ownership.Ownership.of(settings.labels)

    async def provision(self, *, record: records.RequestRecord, bundle: model.Bundle) -> Progress:
        # Generation 1 has only ever had this one bundle, so nothing of it can be stale: the
        # label-scoped prune (a list per kind) is needed only once the desired spec has changed.
        result = await self.cluster.apply(bundle=bundle, prune=record.generation > 1)
        step = Step(
            "apply",
            "Succeeded" if result.ok else "Failed",
            f"applied {len(result.applied)} object(s), pruned {len(result.pruned)}",
            {"applied": list(result.applied), "pruned": list(result.pruned), "failed": dict(result.failed)},
        )
        if not result.ok:
            problems = "; ".join(f"{k}: {v}" for k, v in sorted(result.failed.items())) or "objects were skipped"
            return Progress.failed(f"apply failed: {problems}", step, unavailable=result.cluster_unavailable)
        return Progress.done(step.message, step, applied=True)

    async def decommission(self, *, record: records.RequestRecord, bundle: model.Bundle) -> Progress:
        deleted = await self.cluster.delete_by_selector(bundle=bundle)
        started = await delete_namespace(self.cluster, self.ownership, record=record)
        step = Step(
            "delete",
            "Running" if started else "Pending",
            f"deleting namespace {record.name}",
            {"deletedOutside": list(deleted)},
        )
        return Progress.waiting(step.message, step)


async def delete_namespace(
    cluster: ports.Cluster, owned: ownership.Ownership, *, record: records.RequestRecord, name: str | None = None
) -> bool:
    """Start deleting the request's namespace, only if it carries both ownership labels with its id."""
    return await cluster.delete_namespace(
        name=name or record.name,
        request_id=record.id,
        managed_label=owned.managed_label,
        request_id_label=owned.request_id_label,
    )

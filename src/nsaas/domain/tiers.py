"""The canonical resource tiers (REFERENCE.md) and the quantities derived from them.

Requests are the tier's figures; limits allow a 2x burst over them. The same table drives the
ResourceQuota, the per-team budget policy and the cost estimate, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

TierName = Literal["micro", "small", "medium", "large"]
TIER_NAMES: tuple[TierName, ...] = ("micro", "small", "medium", "large")
LIMIT_BURST = 2


@dataclass(frozen=True, slots=True)
class Tier:
    name: TierName
    cpu: Decimal  # cores requested
    memory_gi: Decimal
    storage_gi: int
    pods: int
    services: int
    pvcs: int
    secrets: int
    configmaps: int
    gpus: int  # only granted with the gpu-access feature
    list_price_month: int  # the original's published estimate, USD

    def quota_hard(self, *, gpu: bool) -> dict[str, str]:
        """The ResourceQuota ``spec.hard`` for this tier."""
        hard = {
            "requests.cpu": _qty(self.cpu),
            "limits.cpu": _qty(self.cpu * LIMIT_BURST),
            "requests.memory": f"{_qty(self.memory_gi)}Gi",
            "limits.memory": f"{_qty(self.memory_gi * LIMIT_BURST)}Gi",
            "requests.storage": f"{self.storage_gi}Gi",
            "persistentvolumeclaims": str(self.pvcs),
            "pods": str(self.pods),
            "services": str(self.services),
            "secrets": str(self.secrets),
            "configmaps": str(self.configmaps),
        }
        if gpu:
            hard["requests.nvidia.com/gpu"] = str(self.gpus)
        return hard


def _qty(value: Decimal) -> str:
    return format(value.normalize(), "f")


TIERS: dict[str, Tier] = {
    "micro": Tier("micro", Decimal(1), Decimal(2), 10, 5, 3, 2, 10, 10, 1, 50),
    "small": Tier("small", Decimal(2), Decimal(4), 20, 10, 5, 5, 20, 20, 1, 100),
    "medium": Tier("medium", Decimal(4), Decimal(8), 50, 20, 10, 10, 50, 50, 2, 200),
    "large": Tier("large", Decimal(8), Decimal(16), 100, 50, 20, 20, 100, 100, 4, 400),
}

#: Container defaults applied by the LimitRange of every bundle.
CONTAINER_DEFAULT_LIMIT = {"cpu": "500m", "memory": "512Mi"}
CONTAINER_DEFAULT_REQUEST = {"cpu": "100m", "memory": "128Mi"}


def get(name: str) -> Tier:
    return TIERS[name]

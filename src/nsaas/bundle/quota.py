"""ResourceQuota and LimitRange: the tier's ceilings and sane per-container defaults.

The quota comes straight from :meth:`nsaas.domain.tiers.Tier.quota_hard`, the same table that
drives the cost estimate and team budgets, so the three can never disagree. With ``gpu-access``
the quota grants the tier's GPUs. Without it the quota pins ``requests.nvidia.com/gpu`` to ``"0"``
rather than leaving the line out: a resource a quota does not name is *unlimited*, and GPU node
taints do not stop a tenant who adds a toleration, so omission would make the feature decorative.

The LimitRange gives containers without resources the bundle template version's defaults (so the quota, which
requires requests and limits, does not reject them) and caps one container at the whole
namespace's limits, so a single typo cannot ask for more than the quota could ever admit.
"""

from __future__ import annotations

from nsaas.bundle import context, model
from nsaas.domain import tiers

QUOTA_NAME = "nsaas-quota"
LIMIT_RANGE_NAME = "nsaas-limits"
GPU_RESOURCE = "requests.nvidia.com/gpu"


def resource_quota(ctx: context.RenderContext) -> model.Manifest:
    hard = tiers.get(ctx.spec.tier).quota_hard(gpu=ctx.spec.has("gpu-access"))
    hard.setdefault(GPU_RESOURCE, "0")
    return ctx.manifest("ResourceQuota", QUOTA_NAME, spec={"hard": hard})


def limit_range(ctx: context.RenderContext) -> model.Manifest:
    hard = tiers.get(ctx.spec.tier).quota_hard(gpu=False)
    container = {
        "type": "Container",
        "default": dict(ctx.template.container_default_limit),
        "defaultRequest": dict(ctx.template.container_default_request),
        "max": {"cpu": hard["limits.cpu"], "memory": hard["limits.memory"]},
    }
    return ctx.manifest("LimitRange", LIMIT_RANGE_NAME, spec={"limits": [container]})

"""Cost estimates: the tier's quota ceilings priced with a configurable table.

Every figure is an *estimate* and carries its basis, so a user can see how it was computed and
why real spend is usually lower (quota is a ceiling, not usage). No figure is invented: change
the price table and every estimate follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from nsaas.domain import tiers


class PriceTable(Protocol):
    currency: str
    cpu_core_month: Decimal
    memory_gib_month: Decimal
    storage_gib_month: Decimal
    basis: str


@dataclass(frozen=True, slots=True)
class Estimate:
    tier: str
    currency: str
    monthly: Decimal
    cpu: Decimal
    memory: Decimal
    storage: Decimal
    basis: str


def _money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def estimate(tier_name: str, *, prices: PriceTable) -> Estimate:
    tier = tiers.get(tier_name)
    cpu = _money(tier.cpu * prices.cpu_core_month)
    memory = _money(tier.memory_gi * prices.memory_gib_month)
    storage = _money(Decimal(tier.storage_gi) * prices.storage_gib_month)
    basis = (
        f"{prices.basis} Prices: {prices.cpu_core_month} {prices.currency}/core, "
        f"{prices.memory_gib_month} {prices.currency}/GiB memory, {prices.storage_gib_month} {prices.currency}/GiB "
        f"storage per month; tier {tier.name} requests {tier.cpu} cores, {tier.memory_gi} GiB, {tier.storage_gi} GiB."
    )
    return Estimate(tier.name, prices.currency, cpu + memory + storage, cpu, memory, storage, basis)

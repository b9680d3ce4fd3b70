"""Kubernetes resource quantities (``500m``, ``2Gi``, ``1e3``) as exact decimals.

Quota usage and drift checks both need numbers, not strings: the API server canonicalises
quantities (``0.5`` comes back as ``500m``, ``1024Mi`` may come back as ``1Gi``), so comparing
strings would report drift that is not there. Parsing is delegated to lightkube's documented
parser; this module only fixes the contract (ints accepted, ``None`` for anything unparsable).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from lightkube.utils import quantity as lightkube_quantity

from nsaas.adapters.kube import results


def parse(value: str | int | float) -> Decimal:
    """The quantity in base units (cores, bytes, counts). Raises ``ValueError`` if it is not one."""
    if isinstance(value, bool):
        raise ValueError(f"not a quantity: {value!r}")
    if isinstance(value, int | float):
        return Decimal(str(value))
    parsed = lightkube_quantity.parse_quantity(value.strip())
    if parsed is None:  # only for None input, kept for the type checker
        raise ValueError(f"not a quantity: {value!r}")
    return parsed


def try_parse(value: object) -> Decimal | None:
    """Like :func:`parse`, but None for anything that is not a quantity (labels, names, ...)."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    try:
        return parse(value)
    except (ValueError, ArithmeticError):
        return None


def usage(*, hard: Mapping[str, object], used: Mapping[str, object]) -> dict[str, results.ResourceUsage]:
    """Pair ``status.hard`` with ``status.used`` per resource; unparsable entries are left out.

    A resource in ``hard`` with no ``used`` entry yet (the quota controller has not counted it)
    is reported as zero used rather than hidden, so the ratio is still shown.
    """
    out: dict[str, results.ResourceUsage] = {}
    for name, raw_hard in hard.items():
        limit = try_parse(raw_hard)
        consumed = try_parse(used.get(name, 0))
        if limit is not None and consumed is not None:
            out[name] = results.ResourceUsage(used=consumed, hard=limit)
    return out

"""Kubernetes resource quantities ("100m", "1.5", "128Mi", "1G"), enough for quota accounting."""

from __future__ import annotations

import decimal
import re

_SUFFIX: dict[str, decimal.Decimal | int] = {
    "": 1,
    "m": decimal.Decimal("0.001"),
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
}
_PATTERN = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")
_BINARY = (("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10))


def parse(text: str | int | float) -> decimal.Decimal:
    """The quantity's value in base units (cores, bytes); ValueError when malformed."""
    match = _PATTERN.match(str(text).strip())
    if not match or match.group(2) not in _SUFFIX:
        raise ValueError(f"invalid quantity {text!r}")
    return decimal.Decimal(match.group(1)) * _SUFFIX[match.group(2)]


def format_cpu(value: decimal.Decimal) -> str:
    millis = int((value * 1000).to_integral_value(rounding=decimal.ROUND_CEILING))
    return str(millis // 1000) if millis % 1000 == 0 else f"{millis}m"


def format_bytes(value: decimal.Decimal) -> str:
    whole = int(value.to_integral_value(rounding=decimal.ROUND_CEILING))
    for suffix, size in _BINARY:
        if whole and whole % size == 0:
            return f"{whole // size}{suffix}"
    return str(whole)

"""Drift detection: does the live object still hold every field the platform set?

The desired manifest is compared as a *subset* of the live object. Fields the server adds
(uid, resourceVersion, managedFields, status, defaulted fields such as a port's ``protocol``)
are ignored because they are not in the desired manifest; every field the platform *did* set
must hold the platform's value. This is what catches a tenant raising a quota, deleting an
ingress rule, or relabelling the namespace.

Rules, chosen to avoid false drift against a real API server:

* mappings: every desired key is compared; extra live keys are ignored;
* lists: same length, compared element by element (an extra rule added out of band *is* drift,
  and the API server does not reorder the lists a bundle uses);
* an empty desired value (``{}``, ``[]``, ``None``) matches an absent live field, because the
  API server omits empty collections;
* scalars match when equal, or when both are quantities of the same amount (``"1"`` and
  ``"1000m"``, ``5`` and ``"5"``), because the server canonicalises quantities.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nsaas.adapters.kube import quantity

_ABSENT = object()


def differences(desired: Any, live: Any, *, path: str = "") -> list[str]:
    """Dotted paths (``spec.hard.pods``, ``spec.ingress[0]``) where ``live`` does not hold ``desired``."""
    if live is _ABSENT or live is None:
        return [] if _is_empty(desired) else [path or "."]
    if isinstance(desired, Mapping):
        if not isinstance(live, Mapping):
            return [path or "."]
        return _mapping_differences(desired, live, path)
    if isinstance(desired, list):
        if not isinstance(live, list) or len(live) != len(desired):
            return [path or "."]
        found: list[str] = []
        for index, (want, have) in enumerate(zip(desired, live, strict=True)):
            found.extend(differences(want, have, path=f"{path}[{index}]"))
        return found
    return [] if scalars_equal(desired, live) else [path or "."]


def _mapping_differences(desired: Mapping[str, Any], live: Mapping[str, Any], path: str) -> list[str]:
    found: list[str] = []
    for key, want in desired.items():
        child = f"{path}.{key}" if path else str(key)
        found.extend(differences(want, live.get(key, _ABSENT), path=child))
    return found


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, Mapping | list) and len(value) == 0)


def scalars_equal(desired: Any, live: Any) -> bool:
    """Equal values, or two spellings of the same quantity. Booleans never equal numbers."""
    if isinstance(desired, bool) or isinstance(live, bool):
        return desired is live
    if desired == live:
        return True
    if isinstance(desired, str) and isinstance(live, str) and not _looks_numeric(desired):
        return False
    want, have = quantity.try_parse(desired), quantity.try_parse(live)
    return want is not None and have is not None and want == have


def _looks_numeric(text: str) -> bool:
    """Quantities start with a digit, a sign or a dot; names and label values usually do not."""
    return bool(text) and (text[0].isdigit() or text[0] in "+-.")

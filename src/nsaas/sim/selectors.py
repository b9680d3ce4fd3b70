"""Label and field selectors, parsed once per request and matched against many objects.

Label selectors follow the Kubernetes grammar: ``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``,
``a notin (x,y)``, ``a`` (exists) and ``!a`` (does not exist), comma-separated and ANDed.
Field selectors support ``=``, ``==`` and ``!=`` on any dotted path (kube-apiserver accepts only
a few paths per kind; being more permissive here never makes a correct client fail).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any

from nsaas.sim import errors

Matcher = Callable[[Mapping[str, Any]], bool]

_SET_RE = re.compile(r"^\s*([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")
_EQ_RE = re.compile(r"^\s*([^\s!=(),]+)\s*(==|!=|=)\s*([^\s!=(),]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*$")


@dataclasses.dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    op: str  # "in", "notin", "exists", "!exists"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.op == "exists":
            return self.key in labels
        if self.op == "!exists":
            return self.key not in labels
        if self.op == "in":
            return self.key in labels and labels[self.key] in self.values
        return self.key not in labels or labels[self.key] not in self.values


def _split(selector: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts: list[str] = []
    depth, start = 0, 0
    for i, char in enumerate(selector):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(selector[start:i])
            start = i + 1
    parts.append(selector[start:])
    return [p for p in parts if p.strip()]


def _requirement(term: str) -> Requirement:
    if match := _SET_RE.match(term):
        values = frozenset(v.strip() for v in match.group(3).split(",") if v.strip())
        return Requirement(match.group(1), match.group(2), values)
    if match := _EQ_RE.match(term):
        op = "notin" if match.group(2) == "!=" else "in"
        return Requirement(match.group(1), op, frozenset([match.group(3)]))
    if match := _EXISTS_RE.match(term):
        return Requirement(match.group(2), "!exists" if match.group(1) else "exists")
    raise errors.bad_request(f"unable to parse requirement: {term!r}")


def parse_labels(selector: str | None) -> list[Requirement]:
    return [_requirement(term) for term in _split(selector or "")]


@dataclasses.dataclass(frozen=True, slots=True)
class FieldRequirement:
    path: tuple[str, ...]
    value: str
    equal: bool

    def matches(self, obj: Mapping[str, Any]) -> bool:
        current: Any = obj
        for part in self.path:
            current = current.get(part) if isinstance(current, Mapping) else None
        text = "" if current is None else str(current)
        return (text == self.value) is self.equal


def parse_fields(selector: str | None) -> list[FieldRequirement]:
    requirements = []
    for term in _split(selector or ""):
        match = _EQ_RE.match(term)
        if not match:
            raise errors.bad_request(f"invalid field selector: {term!r}")
        requirements.append(FieldRequirement(tuple(match.group(1).split(".")), match.group(3), match.group(2) != "!="))
    return requirements


@dataclasses.dataclass(frozen=True, slots=True)
class Filter:
    """Everything a list or watch narrows by: namespace, labels and fields."""

    namespace: str | None = None
    labels: tuple[Requirement, ...] = ()
    fields: tuple[FieldRequirement, ...] = ()

    @classmethod
    def parse(cls, namespace: str | None, label_selector: str | None, field_selector: str | None) -> Filter:
        return cls(namespace, tuple(parse_labels(label_selector)), tuple(parse_fields(field_selector)))

    def matches(self, obj: Mapping[str, Any]) -> bool:
        meta = obj.get("metadata") or {}
        if self.namespace is not None and meta.get("namespace", "") != self.namespace:
            return False
        if self.labels:
            labels = meta.get("labels") or {}
            if not all(r.matches(labels) for r in self.labels):
                return False
        return all(f.matches(obj) for f in self.fields)

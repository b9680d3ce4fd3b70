"""Fault injection: latency, error responses and dropped connections, switchable at run time.

Rules are matched in order against each resource request's verb (get, list, watch, create,
update, patch, delete, deletecollection, or ``*``) and resource plural (or ``*``). Every matching
rule adds its latency; the first matching rule whose dice roll (``rate``) hits decides the
fault. Discovery, health and ``/_sim`` requests are never faulted, so clients can always build
their REST mapping and tests can always switch faults off. A seeded random generator makes a
run reproducible.
"""

from __future__ import annotations

import collections
import dataclasses
import random
from collections.abc import Mapping, Sequence
from typing import Any

#: "403" answers as RBAC would for a missing rule (Forbidden), e.g. to test what a lacking Role breaks.
ERRORS = ("500", "429", "409", "403", "drop")


@dataclasses.dataclass(frozen=True, slots=True)
class Rule:
    verb: str = "*"
    resource: str = "*"
    rate: float = 0.0
    error: str | None = None
    latency_ms: float = 0.0
    retry_after_seconds: int = 1

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Rule:
        error = data.get("error")
        if error is not None and str(error) not in ERRORS:
            raise ValueError(f"error must be one of {', '.join(ERRORS)}")
        rate = float(data.get("rate", 1.0 if error else 0.0))
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        return cls(
            verb=str(data.get("verb", "*")),
            resource=str(data.get("resource", "*")),
            rate=rate,
            error=None if error is None else str(error),
            latency_ms=float(data.get("latencyMs", 0.0)),
            retry_after_seconds=int(data.get("retryAfterSeconds", 1)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "verb": self.verb,
            "resource": self.resource,
            "rate": self.rate,
            "error": self.error,
            "latencyMs": self.latency_ms,
            "retryAfterSeconds": self.retry_after_seconds,
        }

    def matches(self, verb: str, resource: str) -> bool:
        return self.verb in ("*", verb) and self.resource in ("*", resource)


@dataclasses.dataclass(frozen=True, slots=True)
class Decision:
    latency_seconds: float = 0.0
    rule: Rule | None = None  # the rule whose error fires, if any


class Faults:
    """The current rules plus counters; ``GET /_sim/stats`` serves ``stats()``."""

    def __init__(self) -> None:
        self._rules: list[Rule] = []
        self._random = random.Random()  # noqa: S311 - fault dice, not cryptography
        self.requests: collections.Counter[str] = collections.Counter()
        self.injected: collections.Counter[str] = collections.Counter()
        #: Write audit per object: every write call a client made (``plural/namespace/name``), and
        #: every time an object came into existence by any path, controllers and workflows included.
        self.writes: collections.Counter[str] = collections.Counter()
        self.creations: collections.Counter[str] = collections.Counter()

    def record_write(self, key: str) -> None:
        self.writes[key] += 1

    def record_creation(self, key: str) -> None:
        self.creations[key] += 1

    @property
    def rules(self) -> list[Rule]:
        return list(self._rules)

    def set(self, rules: Sequence[Rule | Mapping[str, Any]], *, seed: int | None = None) -> None:
        """Replace the rules (``Rule`` objects or the JSON form of ``POST /_sim/faults``).

        Safe to call from another thread: the rule list is swapped, never mutated.
        """
        self._rules = [r if isinstance(r, Rule) else Rule.from_json(dict(r)) for r in rules]
        self._random = random.Random(seed)  # noqa: S311

    def clear(self) -> None:
        self._rules = []

    def decide(self, verb: str, resource: str) -> Decision:
        self.requests[verb] += 1
        latency, chosen = 0.0, None
        for rule in self._rules:
            if not rule.matches(verb, resource):
                continue
            latency += rule.latency_ms / 1000.0
            if chosen is None and rule.error is not None and self._random.random() < rule.rate:
                chosen = rule
        if chosen is not None and chosen.error is not None:
            self.injected[chosen.error] += 1
        if latency:
            self.injected["latency"] += 1
        return Decision(latency, chosen)

    def stats(self) -> dict[str, Any]:
        return {
            "requests": dict(self.requests),
            "faultsInjected": dict(self.injected),
            "rules": [r.to_json() for r in self._rules],
            "writes": dict(self.writes),
            "creations": dict(self.creations),
        }

"""Which objects this platform owns: the one definition of the ownership labels.

Deletion is guarded by two labels on a namespace: ``<prefix>/managed: "true"`` and
``<prefix>/request-id: <id>``. The renderer writes them and every check and every delete (the
reconciler, the engines, the orphan sweep, the request service) reads them through this object,
so the keys that decide what may be deleted cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from nsaas import config


@dataclass(frozen=True, slots=True)
class Ownership:
    prefix: str

    @classmethod
    def of(cls, labels: config.LabelSettings) -> Ownership:
        return cls(prefix=labels.prefix)

    def key(self, name: str) -> str:
        """A label or annotation key under the platform's prefix (``platform.io/<name>``)."""
        return f"{self.prefix}/{name}"

    @property
    def managed_label(self) -> tuple[str, str]:
        return self.key("managed"), "true"

    @property
    def request_id_label(self) -> str:
        return self.key("request-id")

    @property
    def managed_selector(self) -> dict[str, str]:
        key, value = self.managed_label
        return {key: value}

    def is_managed(self, labels: Mapping[str, str]) -> bool:
        key, value = self.managed_label
        return labels.get(key) == value

    def owner(self, labels: Mapping[str, str]) -> str | None:
        """The request id a namespace carries (None when unlabelled)."""
        return labels.get(self.request_id_label)

    def refusal(self, labels: Mapping[str, str], *, name: str, request_id: str) -> str | None:
        """None when a live namespace with ``labels`` is this request's; otherwise why it must not be touched."""
        if not self.is_managed(labels):
            return f"a namespace named {name} already exists and is not managed by nsaas; it was not touched"
        owner = self.owner(labels)
        if owner != request_id:
            return f"namespace {name} belongs to another request ({owner}); it was not touched"
        return None

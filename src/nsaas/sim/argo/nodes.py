"""Workflow nodes as Argo reports them in ``status.nodes``.

Ids follow Argo's scheme: the root node's id is the workflow name, every other node's id is
``<workflow>-<fnv32a(node name)>``, so ids are stable and predictable from names. ``children``
lists the nodes a node directly contains (Argo links DAG tasks by dependency; the simulator links
them to their DAG, which is simpler to read and enough to walk the tree).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from nsaas.sim import objects

DONE = frozenset({"Succeeded", "Failed", "Error", "Skipped", "Omitted"})
OK = frozenset({"Succeeded", "Skipped"})


def fnv32a(text: str) -> int:
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def node_id(workflow: str, name: str) -> str:
    return workflow if name == workflow else f"{workflow}-{fnv32a(name)}"


@dataclasses.dataclass(slots=True)
class Node:
    id: str
    name: str
    display_name: str
    type: str
    template_name: str
    phase: str = "Running"
    started_at: str = dataclasses.field(default_factory=objects.now)
    finished_at: str | None = None
    message: str = ""
    children: list[str] = dataclasses.field(default_factory=list)
    boundary_id: str = ""

    def finish(self, phase: str, message: str = "") -> Node:
        self.phase = phase
        self.message = message
        self.finished_at = objects.now()
        return self

    @property
    def ok(self) -> bool:
        return self.phase in OK

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "displayName": self.display_name,
            "type": self.type,
            "templateName": self.template_name,
            "phase": self.phase,
            "startedAt": self.started_at,
            "finishedAt": self.finished_at,
        }
        if self.message:
            data["message"] = self.message
        if self.children:
            data["children"] = list(self.children)
        if self.boundary_id:
            data["boundaryID"] = self.boundary_id
        return data

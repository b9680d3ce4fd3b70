"""Objects, the global resourceVersion, the event window and watchers.

Stored objects are never mutated after they are committed: every write builds a new dict and
commits it. That is what lets reads serialise stored dicts directly and lets events keep
references instead of deep copies (the reason the simulator can take thousands of writes a
second on one core). Everything here runs on the server's single event loop, so a commit and the
notification of every watcher happen atomically with respect to other requests.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

from nsaas.sim import resources, selectors

Obj = dict[str, Any]

DEFAULT_EVENT_WINDOW = 10_000


@dataclasses.dataclass(frozen=True, slots=True)
class Event:
    rv: int
    key: str  # the type's storage key
    type: str  # ADDED, MODIFIED or DELETED
    obj: Obj
    old: Obj | None


class Watcher:
    """One watch stream: a filter over one type and a queue of matching events."""

    def __init__(self, key: str, where: selectors.Filter) -> None:
        self.key = key
        self.where = where
        self.queue: asyncio.Queue[tuple[str, Obj] | None] = asyncio.Queue()

    def offer(self, event: Event) -> None:
        translated = translate(event, self.where)
        if translated is not None:
            self.queue.put_nowait(translated)


def translate(event: Event, where: selectors.Filter) -> tuple[str, Obj] | None:
    """What a filtered watch sees: objects entering the filter are ADDED, leaving it DELETED."""
    now = where.matches(event.obj)
    if event.type != "MODIFIED":
        return (event.type, event.obj) if now else None
    before = event.old is not None and where.matches(event.old)
    if now:
        return ("MODIFIED" if before else "ADDED", event.obj)
    return ("DELETED", event.obj) if before else None


class Store:
    def __init__(self, *, event_window: int = DEFAULT_EVENT_WINDOW) -> None:
        self._objects: dict[str, dict[tuple[str, str], Obj]] = collections.defaultdict(dict)
        self._rv = 0
        self._events: collections.deque[Event] = collections.deque(maxlen=event_window)
        self._compacted = 0  # newest resourceVersion no longer in the event window
        self._watchers: dict[str, set[Watcher]] = collections.defaultdict(set)
        self._listeners: list[Callable[[Event], None]] = []

    @property
    def resource_version(self) -> int:
        return self._rv

    @property
    def compacted(self) -> int:
        return self._compacted

    def get(self, rt: resources.ResourceType, namespace: str, name: str) -> Obj | None:
        return self._objects[rt.key].get((namespace, name))

    def items(self, rt: resources.ResourceType, namespace: str | None = None) -> list[Obj]:
        """Objects of a type in (namespace, name) order; all namespaces when ``namespace`` is None."""
        bucket = self._objects[rt.key]
        keys = sorted(k for k in bucket if namespace is None or k[0] == namespace)
        return [bucket[k] for k in keys]

    def count(self, rt: resources.ResourceType, namespace: str) -> int:
        return sum(1 for ns, _ in self._objects[rt.key] if ns == namespace)

    def keys_with_objects(self) -> Iterator[str]:
        return (key for key, bucket in self._objects.items() if bucket)

    def commit(self, rt: resources.ResourceType, event_type: str, obj: Obj, old: Obj | None = None) -> Obj:
        """Store (or remove, for DELETED) a new object version, stamping the next resourceVersion.

        ``obj`` must be a fresh dict owned by the caller; for DELETED its metadata is copied so that
        the last stored version stays untouched.
        """
        self._rv += 1
        meta = dict(obj["metadata"])
        meta["resourceVersion"] = str(self._rv)
        obj = {**obj, "metadata": meta}
        key = (meta.get("namespace", ""), meta["name"])
        if event_type == "DELETED":
            self._objects[rt.key].pop(key, None)
        else:
            self._objects[rt.key][key] = obj
        event = Event(self._rv, rt.key, event_type, obj, old)
        if len(self._events) == self._events.maxlen:
            self._compacted = self._events[0].rv
        self._events.append(event)
        for watcher in self._watchers.get(rt.key, ()):
            watcher.offer(event)
        for listener in self._listeners:
            listener(event)
        return obj

    def dump(self) -> dict[str, Any]:
        """Every stored object by type, and the resourceVersion counter (see :mod:`nsaas.sim.persistence`)."""
        objects = {key: list(bucket.values()) for key, bucket in self._objects.items() if bucket}
        return {"resourceVersion": self._rv, "objects": objects}

    def load(self, rt: resources.ResourceType, objs: list[Obj], *, resource_version: int) -> None:
        """Put objects back as they were stored, without events; older watch versions become 410 Gone."""
        for obj in objs:
            meta = obj["metadata"]
            self._objects[rt.key][(meta.get("namespace", ""), meta["name"])] = obj
        self._rv = max(self._rv, resource_version)
        self._compacted = self._rv

    def drop_type(self, rt: resources.ResourceType) -> list[Obj]:
        """Forget every object of a type (its CRD went away); returns what was dropped."""
        return list(self._objects.pop(rt.key, {}).values())

    def events_since(self, rv: int) -> list[Event]:
        """Retained events newer than ``rv``; the caller checks ``rv >= compacted`` first."""
        if rv >= self._rv:
            return []
        return [e for e in self._events if e.rv > rv]

    def watch(self, rt: resources.ResourceType, where: selectors.Filter) -> Watcher:
        watcher = Watcher(rt.key, where)
        self._watchers[rt.key].add(watcher)
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        self._watchers[watcher.key].discard(watcher)

    def watcher_count(self) -> int:
        return sum(len(w) for w in self._watchers.values())

    def listen(self, listener: Callable[[Event], None]) -> None:
        """Call ``listener`` synchronously after every commit (controllers enqueue work from it)."""
        self._listeners.append(listener)

    def close_watchers(self) -> None:
        """End every watch stream (the server is stopping)."""
        for watchers in self._watchers.values():
            for watcher in watchers:
                watcher.queue.put_nowait(None)

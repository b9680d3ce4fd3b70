"""Watch streams: JSON lines of ADDED / MODIFIED / DELETED events over a chunked response.

A watch from resourceVersion N replays the retained events after N, then follows live commits;
a watch without one (or from "0") starts with an ADDED event per existing object. If N is older
than the retained window the stream carries one ERROR event with a 410 Expired Status, as
kube-apiserver does, so clients re-list. The stream ends on ``timeoutSeconds``, on client
disconnect, or when the server stops; no task outlives it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from nsaas.sim import codec, errors, resources, selectors, store, wire

_START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [(b"content-type", b"application/json"), (b"cache-control", b"no-cache, private")],
}


def _line(event_type: str, obj: dict[str, Any]) -> bytes:
    return codec.dumps({"type": event_type, "object": obj}) + b"\n"


def _initial(
    objects_store: store.Store, rt: resources.ResourceType, where: selectors.Filter, since: str | None
) -> list[tuple[str, dict[str, Any]]] | errors.ApiError:
    if since in (None, "", "0"):
        return [("ADDED", o) for o in objects_store.items(rt, where.namespace) if where.matches(o)]
    try:
        rv = int(str(since))
    except ValueError:
        return errors.bad_request(f"invalid resourceVersion {since!r}")
    if rv < objects_store.compacted:
        return errors.expired(f"too old resource version: {rv} ({objects_store.compacted + 1})")
    found = (store.translate(e, where) for e in objects_store.events_since(rv) if e.key == rt.key)
    return [event for event in found if event is not None]


async def _await_disconnect(receive: wire.Receive, watcher: store.Watcher) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    watcher.queue.put_nowait(None)


async def stream(
    *,
    objects_store: store.Store,
    rt: resources.ResourceType,
    where: selectors.Filter,
    since: str | None,
    timeout_seconds: float | None,
    receive: wire.Receive,
    send: wire.Send,
    render: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> None:
    """Stream events; ``render`` reshapes each object (``kubectl get -w`` asks for Table rows)."""

    def line(event_type: str, obj: dict[str, Any]) -> bytes:
        return _line(event_type, render(obj) if render is not None else obj)

    initial = _initial(objects_store, rt, where, since)
    if isinstance(initial, errors.ApiError):
        if initial.code != 410:
            raise initial
        await send(_START)
        await send({"type": "http.response.body", "body": _line("ERROR", initial.status())})
        return
    watcher = objects_store.watch(rt, where)  # same loop turn as the snapshot: nothing can slip between
    listener = asyncio.create_task(_await_disconnect(receive, watcher))
    try:
        await send(_START)
        for event_type, obj in initial:
            await send({"type": "http.response.body", "body": line(event_type, obj), "more_body": True})
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_seconds):
                while (item := await watcher.queue.get()) is not None:
                    await send({"type": "http.response.body", "body": line(*item), "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    finally:
        objects_store.unwatch(watcher)
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener

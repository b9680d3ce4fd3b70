"""Live progress of one namespace from the API's SSE timeline, until it settles.

The timeline so far comes from the request's status endpoint; the stream is then opened with
``Last-Event-ID`` set to its last event, so nothing between the two reads is lost or shown
twice. Each event is one line (time, status, step, message) on stderr, keeping stdout for the
result; a spinner shows the current state while the terminal is interactive. The wait ends on a
*settled* status: ``ready`` (or ``deleted`` when waiting for a deletion) is success, ``failed``,
``rejected`` and ``cancelled`` are failures with the reason.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import httpx_sse
from rich.console import Console

from nsaas.cli.client import api

SUCCESS = frozenset({"ready"})
FAILURE = frozenset({"failed", "rejected", "cancelled"})
GONE = frozenset({"deleted", "expired"})
STYLE = {"ready": "green", "failed": "red", "rejected": "red", "cancelled": "yellow", "pending-approval": "yellow"}


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    reason: str

    @property
    def code(self) -> int:
        return api.OK if self.status in SUCCESS | GONE else api.NAMESPACE_FAILED


def settled(status: str, *, until_gone: bool) -> bool:
    if until_gone:
        return status in GONE | {"failed"}
    return status in SUCCESS | FAILURE | GONE


class Watcher:
    def __init__(self, client: api.Api, *, err: Console | None = None) -> None:
        self.client = client
        self.err = err or Console(stderr=True, soft_wrap=True)

    def wait(self, name: str, *, timeout: float, until_gone: bool = False) -> Outcome:
        """Show the timeline and follow it until ``name`` settles; :data:`api.TIMED_OUT` after ``timeout``."""
        detail = self.client.call("GET", f"/namespaces/{name}").data
        status = self.client.call("GET", f"/namespaces/request/{detail['requestId']}/status").data
        last = 0
        for event in status["timeline"]:
            self.show(event)
            last = max(last, int(event["id"]))
        current = str(status["status"])
        if settled(current, until_gone=until_gone):
            return self._outcome(name, current)
        deadline = time.monotonic() + timeout
        with self.err.status(f"{name}: {current}", spinner="dots") as spinner:
            for event in self._stream(name, after=last, deadline=deadline):
                self.show(event)
                current = str(event["status"])
                spinner.update(f"{name}: {current}")
                if settled(current, until_gone=until_gone):
                    return self._outcome(name, current)
        api.fail(f"gave up waiting for {name} after {timeout:.0f} s; it is {current}", api.TIMED_OUT)

    def show(self, event: dict[str, Any]) -> None:
        at = str(event.get("at", ""))[11:19]
        status = str(event.get("status", ""))
        step = event.get("step") or event.get("kind") or ""
        style = STYLE.get(status, "cyan")
        self.err.print(f"{at}  [{style}]{status:<16}[/{style}] {step:<12} {event.get('message', '')}", highlight=False)

    def _outcome(self, name: str, status: str) -> Outcome:
        if status in SUCCESS | GONE:
            return Outcome(status, "")
        detail = self.client.call("GET", f"/namespaces/{name}").data
        reason = detail.get("lastError") or detail.get("statusReason") or status
        return Outcome(status, str(reason))

    def _stream(self, name: str, *, after: int, deadline: float) -> Iterator[dict[str, Any]]:
        """Events after ``after``, reconnecting (with Last-Event-ID) when the connection drops."""
        while time.monotonic() < deadline:
            remaining = max(1.0, deadline - time.monotonic())
            headers = {"Last-Event-ID": str(after), "Accept": "text/event-stream"}
            try:
                with httpx_sse.connect_sse(
                    self.client.http,
                    "GET",
                    f"{api.PREFIX}/namespaces/{name}/events",
                    headers=headers,
                    timeout=httpx.Timeout(min(remaining, 60.0), connect=5.0),
                ) as source:
                    if source.response.is_error:
                        source.response.read()
                        raise api.error_of(source.response)
                    for sse in source.iter_sse():
                        if time.monotonic() >= deadline:
                            return
                        if not sse.data:
                            continue
                        after = int(sse.id) if sse.id and sse.id.isdigit() else after
                        yield json.loads(sse.data)
            except httpx.ReadTimeout:
                continue
            except httpx.TransportError:
                time.sleep(1.0)

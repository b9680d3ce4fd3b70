"""A level-triggered work queue, the shape every simulated controller shares.

The store calls ``keys_for`` synchronously on each commit; the keys go into a de-duplicating
queue that one task drains by calling ``reconcile``. A failing reconcile is logged and retried a
little later, so one broken object cannot stop a controller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from nsaas.sim import api, store

_log = logging.getLogger(__name__)
RETRY_DELAY_SECONDS = 0.05
MAX_RETRIES = 20


class Controller:
    name = "controller"

    def __init__(self, kube: api.Api) -> None:
        self.api = kube
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._queued: set[str] = set()
        self._failures: dict[str, int] = {}
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        kube.store.listen(self._on_event)

    def keys_for(self, event: store.Event) -> Iterable[str]:
        """The keys an event makes worth reconciling."""
        raise NotImplementedError

    async def reconcile(self, key: str) -> None:
        raise NotImplementedError

    def enqueue(self, key: str) -> None:
        if key not in self._queued:
            self._idle.clear()
            self._queued.add(key)
            self._queue.put_nowait(key)

    def _on_event(self, event: store.Event) -> None:
        for key in self.keys_for(event):
            self.enqueue(key)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"nsaas-sim-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def drained(self) -> None:
        """Return once the queue is empty and no reconcile is running."""
        if self._task is not None:
            await self._idle.wait()

    async def _run(self) -> None:
        while True:
            key = await self._queue.get()
            self._queued.discard(key)
            try:
                await self.reconcile(key)
                self._failures.pop(key, None)
            except Exception:
                _log.exception("%s: reconciling %s failed", self.name, key)
                self._retry_later(key)
            finally:
                if not self._queued:
                    self._idle.set()

    def _retry_later(self, key: str) -> None:
        failures = self._failures.get(key, 0) + 1
        self._failures[key] = failures
        if failures <= MAX_RETRIES:
            asyncio.get_running_loop().call_later(RETRY_DELAY_SECONDS, self.enqueue, key)

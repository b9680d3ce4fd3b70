"""The notifier: queues notifications from new status events, then delivers them with retries.

It runs beside the reconciler in the worker and is never on a request's path: a use case only
writes its status event (as it always did); the notifier finds that event later by its cursor.
Each tick it (1) queues one delivery per event that notifies and interested team channel, in
the same transaction that moves its cursor, and (2) sends the deliveries that are due. A failed
send is retried with exponential back-off up to ``max_attempts``; the receiver recognises
redeliveries by the delivery id (event id and channel id), the same on every attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import structlog

from nsaas import config
from nsaas.domain import errors, notifications, records

log = structlog.get_logger("nsaas.notifier")
#: Events read per queueing pass; a full pass means more may be waiting, so the tick reads on.
QUEUE_BATCH = 200


class Delivery(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def dedup_key(self) -> str: ...
    @property
    def channel_id(self) -> str: ...
    @property
    def event_type(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...
    @property
    def attempts(self) -> int: ...


Builder = Callable[[Sequence[records.EventRecord], Sequence[notifications.Channel]], list[notifications.Queued]]


class Outbox(Protocol):
    async def queue_new_events(self, *, build: Builder, now: datetime, limit: int = 200) -> int: ...
    async def claim(self, *, worker: str, now: datetime, limit: int, lease_seconds: float) -> Sequence[Delivery]: ...
    async def channel(self, channel_id: str) -> notifications.Channel | None: ...
    async def delivered(self, delivery_id: int, *, now: datetime) -> None: ...
    async def failed(self, delivery_id: int, *, attempts: int, error: str, retry_at: datetime | None) -> None: ...


class Sender(Protocol):
    async def send(self, *, url: str, payload: Mapping[str, Any], delivery_id: str, event_type: str) -> None: ...


class Notifier:
    def __init__(
        self,
        *,
        settings: config.Settings,
        outbox: Outbox,
        sender: Sender,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.settings = settings.notifications
        self.portal_url = settings.ui.public_url
        self.outbox = outbox
        self.sender = sender
        self.clock = clock or (lambda: datetime.now(UTC))
        self.worker = f"{socket.gethostname()}-notifier-{id(self) % 100_000}"

    def _build(
        self, events: Sequence[records.EventRecord], channels: Sequence[notifications.Channel]
    ) -> list[notifications.Queued]:
        return notifications.deliveries(events, channels, portal_url=self.portal_url)

    async def tick(self) -> int:
        """Queue what is new, then send what is due; the number of deliveries attempted."""
        now = self.clock()
        with contextlib.suppress(errors.Conflict):  # a lost cursor race: the other worker queued them
            while await self.outbox.queue_new_events(build=self._build, now=now, limit=QUEUE_BATCH) >= QUEUE_BATCH:
                pass
        due = await self.outbox.claim(
            worker=self.worker, now=now, limit=self.settings.batch_size, lease_seconds=self.settings.lease_seconds
        )
        await asyncio.gather(*(self._deliver(d) for d in due))
        return len(due)

    async def _deliver(self, delivery: Delivery) -> None:
        channel = await self.outbox.channel(delivery.channel_id)
        attempts = delivery.attempts + 1
        if channel is None:
            await self.outbox.failed(delivery.id, attempts=attempts, error="the channel was removed", retry_at=None)
            return
        try:
            await self.sender.send(
                url=channel.url,
                payload=delivery.payload,
                delivery_id=delivery.dedup_key,
                event_type=delivery.event_type,
            )
        except Exception as error:  # any failure of one delivery is that delivery's, retried later
            give_up = attempts >= self.settings.max_attempts
            delay = min(self.settings.backoff_max_seconds, self.settings.backoff_base_seconds * 2 ** (attempts - 1))
            retry_at = None if give_up else self.clock() + timedelta(seconds=delay)
            log.warning("notification not delivered", delivery=delivery.dedup_key, attempts=attempts, error=str(error))
            await self.outbox.failed(delivery.id, attempts=attempts, error=str(error), retry_at=retry_at)
            return
        await self.outbox.delivered(delivery.id, now=self.clock())

    async def run(self) -> None:
        """Tick until cancelled; an error of one tick is logged and the next tick tries again."""
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("notifier tick failed")
            await asyncio.sleep(self.settings.poll_seconds)

"""Sends one notification to one webhook URL over HTTP (the notifier's only network call).

The delivery id goes in a header as well as in the body, so a receiver can drop a redelivery
without parsing the payload. Anything but a 2xx answer, a timeout or a connection error is a
failed attempt the notifier retries later.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

DELIVERY_HEADER = "X-Nsaas-Delivery"
EVENT_HEADER = "X-Nsaas-Event"


class DeliveryFailed(Exception):
    """The receiver did not accept the notification; ``str()`` says why, for the outbox row."""


class WebhookSender:
    def __init__(self, *, timeout_seconds: float, client: httpx.AsyncClient | None = None) -> None:
        self._client = client or httpx.AsyncClient(follow_redirects=False)
        self._owned = client is None
        self._timeout = httpx.Timeout(timeout_seconds)

    async def send(self, *, url: str, payload: Mapping[str, Any], delivery_id: str, event_type: str) -> None:
        headers = {DELIVERY_HEADER: delivery_id, EVENT_HEADER: event_type, "User-Agent": "nsaas-notifier"}
        try:
            answer = await self._client.post(url, json=dict(payload), headers=headers, timeout=self._timeout)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}") from error
        if not answer.is_success:
            raise DeliveryFailed(f"the receiver answered {answer.status_code}")

    async def aclose(self) -> None:
        if self._owned:
            await self._client.aclose()

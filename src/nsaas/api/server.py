"""How the HTTP servers run: uvicorn with read limits and timeouts a hostile client cannot outwait.

* headers: at most ``max_header_bytes`` (h11's incomplete-event limit) and complete within
  ``header_timeout_seconds`` of the connection opening or of the previous response (a client
  trickling header bytes is disconnected; uvicorn's own keep-alive timer restarts on every byte);
* bodies: each chunk within ``body_timeout_seconds`` (408, see :mod:`nsaas.requestcontext`);
* idle keep-alive connections close after ``keep_alive_seconds``; at most ``max_connections``
  are served at once (503 beyond).
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from nsaas import config


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol plus a deadline for a request's headers to arrive in full."""

    header_timeout_seconds = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_header_deadline()

    def _arm_header_deadline(self) -> None:
        waiting_for = self.cycle
        self.loop.call_later(self.header_timeout_seconds, self._header_deadline, waiting_for)

    def _header_deadline(self, waiting_for: object) -> None:
        # No new request started since the deadline was armed: its headers never completed.
        idle = self.cycle is None or self.cycle.response_complete
        if self.cycle is waiting_for and idle and not self.transport.is_closing():
            self.transport.close()


def uvicorn_config(app: Any, *, host: str, port: int, settings: config.ServerSettings, **extra: Any) -> uvicorn.Config:
    protocol = type(
        "ConfiguredHeaderDeadlineProtocol",
        (HeaderDeadlineProtocol,),
        {"header_timeout_seconds": settings.header_timeout_seconds},
    )
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol,
        log_config=None,
        access_log=False,
        timeout_keep_alive=settings.keep_alive_seconds,
        h11_max_incomplete_event_size=settings.max_header_bytes,
        limit_concurrency=settings.max_connections,
        **extra,
    )

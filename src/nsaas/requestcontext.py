"""ASGI middleware of the API and the UI: request/correlation ids, body size cap and read deadline,
stream send deadline, latency metrics, access logs.

Both processes log the same JSON lines (``nsaas.logs``) carrying ``request_id`` and
``correlation_id``; an incoming ``X-Correlation-ID`` is kept, so one id follows a browser action
from the UI through the API (the UI forwards it, see ``ui/platform_api.py``). Metrics carry the
``component`` label (``api``, ``ui``). Written as plain ASGI (not BaseHTTPMiddleware) so streaming
responses (SSE) pass through untouched and the per-request overhead stays small on hot paths.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nsaas import metrics

log = structlog.get_logger("nsaas.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContext:
    """Tags every request with ids, caps its body, and records metrics and an access log line."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        component: str,
        max_body_bytes: int,
        body_timeout_seconds: float = 30.0,
        stream_send_timeout_seconds: float = 15.0,
    ) -> None:
        self.app = app
        self.component = component
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout_seconds
        self.stream_send_timeout = stream_send_timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        request_id = _pick(headers.get("x-request-id")) or uuid.uuid4().hex
        correlation_id = _pick(headers.get("x-correlation-id")) or request_id
        scope.setdefault("state", {})
        scope["state"]["request_id"] = request_id
        scope["state"]["correlation_id"] = correlation_id
        structlog.contextvars.bind_contextvars(request_id=request_id, correlation_id=correlation_id)
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _too_large(send, request_id, self.max_body_bytes)
            return
        started = time.perf_counter()
        exchange = _Exchange(self, receive, send, ids=(request_id, correlation_id))
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except _BodyTooLarge:
            await _too_large(send, request_id, self.max_body_bytes)
            exchange.status = 413
        except _BodyTimeout:
            message = f"the body did not arrive within {self.body_timeout}s"
            await _refuse(send, request_id, 408, "request_timeout", message)
            exchange.status = 408
        except _SlowConsumer:
            exchange.status = 499  # closed on the client's behalf; nothing more can be sent
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            status = exchange.status
            metrics.HTTP_REQUESTS.labels(self.component, method, route, str(status)).inc()
            metrics.HTTP_LATENCY.labels(self.component, method, route).observe(elapsed)
            if route not in ("/health/live", "/metrics", "/healthz"):
                log.info("http", method=method, route=route, status=status, ms=round(elapsed * 1000, 2))
            structlog.contextvars.clear_contextvars()


class _Exchange:
    """One request's receive and send, wrapped: body cap and read deadline, ids, stream deadline."""

    def __init__(self, owner: RequestContext, receive: Receive, send: Send, *, ids: tuple[str, str]) -> None:
        self.owner = owner
        self._receive = receive
        self._send = send
        self.ids = ids
        self.status = 500
        self.received = 0
        self.body_done = False
        self.streaming = False
        self.body_timed_out = False

    async def receive(self) -> Message:
        if self.body_done:  # only http.disconnect is left: that wait is the app's business
            return await self._receive()
        try:
            message = await asyncio.wait_for(self._receive(), timeout=self.owner.body_timeout)
        except TimeoutError:
            self.body_timed_out = True
            raise _BodyTimeout from None
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            self.body_done = not message.get("more_body", False)
            if self.received > self.owner.max_body_bytes:
                raise _BodyTooLarge
        return message

    async def send(self, message: Message) -> None:
        if self.body_timed_out:
            # The framework turned the failed body read into its own answer; ours is 408.
            raise _BodyTimeout
        if message["type"] == "http.response.start":
            self.status = message["status"]
            request_id, correlation_id = self.ids
            extra = [(b"x-request-id", request_id.encode()), (b"x-correlation-id", correlation_id.encode())]
            message["headers"] = [*message.get("headers", []), *extra]
            self.streaming = any(
                k.lower() == b"content-type" and v.startswith(b"text/event-stream") for k, v in message["headers"]
            )
        if not self.streaming:
            await self._send(message)
            return
        try:
            # A stream's reader that stops reading would hold it (and its slot) forever.
            await asyncio.wait_for(self._send(message), timeout=self.owner.stream_send_timeout)
        except TimeoutError:
            metrics.EVENT_STREAMS_DROPPED.inc()
            log.info("slow event stream dropped", timeout=self.owner.stream_send_timeout)
            raise _SlowConsumer from None


class _BodyTooLarge(Exception):
    pass


def correlation_id() -> str | None:
    """The correlation id of the request being served (to forward it on outgoing calls)."""
    value = structlog.contextvars.get_contextvars().get("correlation_id")
    return value if isinstance(value, str) else None


class _BodyTimeout(Exception):
    pass


class _SlowConsumer(Exception):
    pass


def _pick(value: str | None) -> str | None:
    return value if value and _SAFE_ID.match(value) else None


def _route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


async def _too_large(send: Send, request_id: str, limit: int) -> None:
    message = f"request body exceeds {limit} bytes"
    await _refuse(send, request_id, 413, "payload_too_large", message, detail=f"at most {limit} bytes")


async def _refuse(send: Send, request_id: str, status: int, error: str, message: str, *, detail: str = "") -> None:
    payload = json.dumps(
        {
            "success": False,
            "error": error,
            "message": message,
            "details": {"body": detail or message},
            "requestId": request_id,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"x-request-id", request_id.encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})

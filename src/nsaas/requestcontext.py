"""ASGI middleware of the API and the UI: request/correlation ids, body size cap, latency metrics, access logs.

Both processes log the same JSON lines (``nsaas.logs``) carrying ``request_id`` and
``correlation_id``; an incoming ``X-Correlation-ID`` is kept, so one id follows a browser action
from the UI through the API (the UI forwards it, see ``ui/platform_api.py``). Metrics carry the
``component`` label (``api``, ``ui``). Written as plain ASGI (not BaseHTTPMiddleware) so streaming
responses (SSE) pass through untouched and the per-request overhead stays small on hot paths.
"""

from __future__ import annotations

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

    def __init__(self, app: ASGIApp, *, component: str, max_body_bytes: int) -> None:
        self.app = app
        self.component = component
        self.max_body_bytes = max_body_bytes

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
        status = 500
        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge
            return message

        async def tagged_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                extra = [(b"x-request-id", request_id.encode()), (b"x-correlation-id", correlation_id.encode())]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, capped_receive, tagged_send)
        except _BodyTooLarge:
            await _too_large(send, request_id, self.max_body_bytes)
            status = 413
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            metrics.HTTP_REQUESTS.labels(self.component, method, route, str(status)).inc()
            metrics.HTTP_LATENCY.labels(self.component, method, route).observe(elapsed)
            if route not in ("/health/live", "/metrics", "/healthz"):
                log.info("http", method=method, route=route, status=status, ms=round(elapsed * 1000, 2))
            structlog.contextvars.clear_contextvars()


class _BodyTooLarge(Exception):
    pass


def correlation_id() -> str | None:
    """The correlation id of the request being served (to forward it on outgoing calls)."""
    value = structlog.contextvars.get_contextvars().get("correlation_id")
    return value if isinstance(value, str) else None


def _pick(value: str | None) -> str | None:
    return value if value and _SAFE_ID.match(value) else None


def _route_template(scope: Scope) -> str:
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


async def _too_large(send: Send, request_id: str, limit: int) -> None:
    payload = json.dumps(
        {
            "success": False,
            "error": "payload_too_large",
            "message": f"request body exceeds {limit} bytes",
            "details": {"body": f"at most {limit} bytes"},
            "requestId": request_id,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"x-request-id", request_id.encode())],
        }
    )
    await send({"type": "http.response.body", "body": payload})

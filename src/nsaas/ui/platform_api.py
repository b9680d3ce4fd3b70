"""The UI's client of the Platform API: plain HTTP with the signed-in user's bearer token.

The UI is a backend-for-frontend: it holds no data of its own and decides nothing the API
decides. Every page calls the API exactly as any other client would, with the user's token, so
authorization (a foreign team's namespace is 404) is enforced in one place. This module turns
the API's envelope into data and its error shape (``envelope``) into :class:`ApiError`, which pages render.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import httpx_sse

from nsaas import metrics, requestcontext
from nsaas.ui import envelope

PREFIX = "/api/platform"
#: Reads of one page should never hang a browser tab; SSE streams have no read timeout.
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
STREAM_TIMEOUT = httpx.Timeout(None, connect=5.0)


#: Raised for every answer that is not a success (pages catch it as ``platform_api.ApiError``).
ApiError = envelope.ApiError


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful answer: the envelope's ``data`` and the headers pages need (ETag)."""

    data: Any
    status: int
    etag: str | None = None


class PlatformApi:
    """Calls one API base URL as one user. Cheap to build per page request."""

    def __init__(self, *, client: httpx.AsyncClient, base_url: str, token: str) -> None:
        self._client = client
        self._base = base_url.rstrip("/") + PREFIX
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        correlation = requestcontext.correlation_id()
        if correlation:
            self._headers["X-Correlation-ID"] = correlation

    async def get(self, path: str, *, params: Mapping[str, Any] | None = None) -> Answer:
        return await self._call("GET", path, params=params)

    async def post(self, path: str, *, body: Any = None, idempotency_key: str | None = None) -> Answer:
        """POST; with ``idempotency_key`` a repeated submit (a double click) gets the first answer again."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return await self._call("POST", path, body=body, headers=headers)

    async def patch(self, path: str, *, body: Any, if_match: str | None) -> Answer:
        headers = {"If-Match": if_match} if if_match else {}
        return await self._call("PATCH", path, body=body, headers=headers)

    async def delete(self, path: str, *, params: Mapping[str, Any] | None = None) -> Answer:
        return await self._call("DELETE", path, params=params)

    async def text(self, path: str, *, params: Mapping[str, Any] | None = None) -> str:
        """A non-JSON answer (the YAML bundle)."""
        response = await self._send("GET", path, params=params, headers={"Accept": "*/*"})
        if response.is_error:
            raise _error(response)
        return response.text

    @asynccontextmanager
    async def events(self, path: str, *, last_event_id: str | None) -> AsyncIterator[httpx_sse.EventSource]:
        """Open an SSE stream of the API (resuming after ``last_event_id``); raise ApiError if refused."""
        headers = {**self._headers, "Accept": "text/event-stream"}
        if last_event_id:
            headers["Last-Event-ID"] = last_event_id
        try:
            async with httpx_sse.aconnect_sse(
                self._client, "GET", self._base + path, headers=headers, timeout=STREAM_TIMEOUT
            ) as source:
                if source.response.is_error:
                    await source.response.aread()
                    raise _error(source.response)
                yield source
        except httpx.TransportError as error:
            raise _unreachable(error) from error

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        response = await self._send(method, path, params=params, body=body, headers=headers)
        if response.is_error:
            raise _error(response)
        try:
            payload = response.json()
        except ValueError as error:
            raise ApiError(502, "bad_gateway", "the Platform API answered something that is not JSON") from error
        data = payload.get("data") if isinstance(payload, dict) else None
        return Answer(data=data, status=response.status_code, etag=response.headers.get("ETag"))

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            return await self._client.request(
                method,
                self._base + path,
                params=clean,
                json=body,
                headers={**self._headers, **(headers or {})},
                timeout=TIMEOUT,
            )
        except httpx.TransportError as error:
            raise _unreachable(error) from error


def _unreachable(error: httpx.TransportError) -> ApiError:
    metrics.UI_API_ERRORS.labels("503").inc()
    return ApiError(503, "api_unreachable", f"the Platform API cannot be reached ({type(error).__name__})")


def _error(response: httpx.Response) -> ApiError:
    metrics.UI_API_ERRORS.labels(str(response.status_code)).inc()
    return envelope.error_of(response)

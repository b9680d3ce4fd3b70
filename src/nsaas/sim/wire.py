"""The ASGI edge: reading a request whole, writing a response, dropping a connection.

The simulator is a raw ASGI application (no framework routing) because every request takes the
same path and the per-request overhead is most of what limits writes per second.
"""

from __future__ import annotations

import asyncio
import dataclasses
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from nsaas.sim import codec, errors

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_JSON = (b"content-type", b"application/json")


@dataclasses.dataclass(slots=True)
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()


@dataclasses.dataclass(slots=True)
class Response:
    status: int
    body: bytes
    headers: list[tuple[bytes, bytes]] = dataclasses.field(default_factory=lambda: [_JSON])


class DropConnection(Exception):
    """Raised by a handler to close the socket without any response (an injected fault)."""


async def read_request(scope: Scope, receive: Receive) -> Request:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    query = {k: v[-1] for k, v in urllib.parse.parse_qs(scope["query_string"].decode(), keep_blank_values=True).items()}
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    return Request(scope["method"], scope["path"], query, headers, b"".join(chunks))


def json_response(status: int, body: Any) -> Response:
    return Response(status, codec.dumps(body))


def error_response(exc: errors.ApiError) -> Response:
    response = json_response(exc.code, exc.status())
    response.headers.extend((k.lower().encode(), v.encode()) for k, v in exc.headers.items())
    return response


def text_response(status: int, text: str) -> Response:
    return Response(status, text.encode(), [(b"content-type", b"text/plain; charset=utf-8")])


async def send_response(send: Send, response: Response) -> None:
    headers = [*response.headers, (b"content-length", str(len(response.body)).encode())]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def drop(send: Send) -> None:
    """Close the client's socket with no response at all.

    ASGI has no message for this, so it reaches the transport of uvicorn's request cycle (the
    object whose bound method ``send`` is). If that is ever unavailable, the fallback is an
    exception, which uvicorn answers with a bare 500: still a failure the client must handle.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if not isinstance(transport, asyncio.BaseTransport):
        raise DropConnection("cannot reach the transport to drop the connection")
    transport.close()
    await asyncio.sleep(0)  # let uvicorn see the disconnect before the application returns
    await asyncio.sleep(0)

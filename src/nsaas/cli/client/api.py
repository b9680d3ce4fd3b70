"""The HTTP side of the CLI: one small client, readable errors and the documented exit codes.

Every failure ends the command with a message naming each failing field (the API's ``details``)
and one of these exit codes, so scripts can branch on them:

====  ===========================================================================
0     success (with ``--wait``/``watch``: the namespace is ready, or deleted)
1     the namespace failed, was rejected or cancelled (the reason is printed)
2     invalid input: bad flags or file, or the API refused the request (400, 422)
3     not signed in, or the token expired or was refused (401)
4     signed in but not allowed (403)
5     not found, or not visible to you (404)
6     conflicts with the current state (409, 412): e.g. a GitOps-owned namespace
7     the API is unreachable, rate limited, or failed (429, 5xx, network)
8     gave up waiting (``--timeout``)
====  ===========================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

import httpx
import typer

from nsaas.ui import envelope

OK = 0
NAMESPACE_FAILED = 1
INVALID_INPUT = 2
NOT_SIGNED_IN = 3
FORBIDDEN = 4
NOT_FOUND = 5
CONFLICT = 6
UNAVAILABLE = 7
TIMED_OUT = 8

EXIT_FOR_STATUS = {400: INVALID_INPUT, 422: INVALID_INPUT, 401: NOT_SIGNED_IN, 403: FORBIDDEN, 404: NOT_FOUND}
EXIT_FOR_STATUS |= {409: CONFLICT, 412: CONFLICT, 413: INVALID_INPUT}
PREFIX = "/api/platform"
TIMEOUT = httpx.Timeout(30.0, connect=5.0)


@dataclass
class CliError(Exception):
    """A failure the CLI reports and exits on."""

    message: str
    code: int
    details: Mapping[str, str] = field(default_factory=dict)


def fail(message: str, code: int, details: Mapping[str, str] | None = None) -> NoReturn:
    raise CliError(message, code, dict(details or {}))


def report(error: CliError) -> NoReturn:
    """Print the error (and each failing field) on stderr and exit with its code."""
    typer.echo(f"error: {error.message}", err=True)
    for name, problem in error.details.items():
        typer.echo(f"  {name}: {problem}", err=True)
    raise typer.Exit(error.code)


@dataclass(frozen=True, slots=True)
class Answer:
    data: Any
    etag: str | None
    text: str


class Api:
    """A blocking client of the Platform API with the caller's bearer token."""

    def __init__(self, *, base_url: str, token: str | None, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url
        headers = {"User-Agent": "nsaas-cli"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=TIMEOUT, transport=transport)

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            response = self.http.request(method, PREFIX + path, params=clean, json=body, headers=dict(headers or {}))
        except httpx.TransportError as exc:
            fail(
                f"cannot reach the Platform API at {self.base_url} ({type(exc).__name__}); is it running?", UNAVAILABLE
            )
        if response.is_error:
            raise error_of(response)
        try:
            payload = response.json()
        except ValueError:
            return Answer(data=None, etag=response.headers.get("ETag"), text=response.text)
        data = payload.get("data") if isinstance(payload, dict) else payload
        return Answer(data=data, etag=response.headers.get("ETag"), text=response.text)

    def close(self) -> None:
        self.http.close()


def error_of(response: httpx.Response) -> CliError:
    problem = envelope.error_of(response)
    message = problem.message
    code = EXIT_FOR_STATUS.get(response.status_code, UNAVAILABLE)
    if response.status_code == 401:
        message += " (sign in with `nsaas login`, or set NSAAS_TOKEN)"
    if response.status_code == 429 and problem.retry_after:
        message += f" (retry after {problem.retry_after} s)"
    return CliError(message, code, problem.details)

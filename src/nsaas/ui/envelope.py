"""The Platform API's error envelope as its HTTP clients read it: the UI's pages and the CLI.

One reader of ``{success: false, error, message, details, requestId}`` (see ``nsaas.api.errors``).
It imports nothing but httpx, so the CLI, which starts with every command, can load it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx


@dataclass
class ApiError(Exception):
    """An answer of the API that is not a success, in its documented error shape."""

    status: int
    error: str
    message: str
    details: dict[str, str] = field(default_factory=dict)
    request_id: str | None = None
    retry_after: str | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.error}: {self.message}"

    @property
    def unavailable(self) -> bool:
        return self.status >= 500


def error_of(response: httpx.Response) -> ApiError:
    """The error an answer of the API carries (a default message when its body is not the envelope)."""
    try:
        payload = response.json()
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    details = payload.get("details") if isinstance(payload.get("details"), dict) else {}
    return ApiError(
        status=response.status_code,
        error=str(payload.get("error") or response.reason_phrase or "error"),
        message=str(payload.get("message") or f"the Platform API answered {response.status_code}"),
        details={str(k): str(v) for k, v in (details or {}).items()},
        request_id=payload.get("requestId") or response.headers.get("X-Request-ID"),
        retry_after=response.headers.get("Retry-After"),
    )

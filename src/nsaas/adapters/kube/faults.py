"""Which Kubernetes API failures are worth retrying, and how each maps to the domain error tree.

Only this module and :mod:`nsaas.adapters.kube.client` know lightkube's and httpx2's exception
types; everything above sees :class:`nsaas.domain.errors.ClusterError` and its subclasses.

Transient (retried, counted by the circuit breaker): 429, 5xx, timeouts and dropped or refused
connections. Everything else is a definite answer from the API server (404, 409, 422, 403 ...)
and is mapped once, without retrying: retrying cannot change it, and it proves the server is up.
"""

from __future__ import annotations

import httpx2
import msgspec
from lightkube import ApiError, ConfigError

from nsaas.domain import errors

#: 501 Not Implemented and 505 are definite answers; retrying them only adds load.
_TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


def status_of(exc: BaseException) -> int | None:
    """The HTTP status of a failed call, if the server answered at all."""
    if isinstance(exc, ApiError):
        code = exc.status.code
        return int(code) if code is not None else None
    if isinstance(exc, httpx2.HTTPStatusError):
        return exc.response.status_code
    return None


def is_transient(exc: BaseException) -> bool:
    """True for failures that may succeed on a later attempt."""
    if isinstance(exc, httpx2.TransportError):
        return True
    status = status_of(exc)
    return status in _TRANSIENT_STATUSES


def retry_after_seconds(exc: BaseException) -> float | None:
    """The server's Retry-After (seconds form) on a 429/503, if it sent one."""
    if not isinstance(exc, httpx2.HTTPStatusError):
        return None
    response: httpx2.Response | None = exc.response  # None for a watch's ERROR event
    raw = response.headers.get("Retry-After") if response is not None else None
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def _message(exc: BaseException) -> str:
    if isinstance(exc, ApiError):
        return exc.status.message or exc.status.reason or "Kubernetes API error"
    return str(exc) or type(exc).__name__


def to_domain(exc: BaseException, *, what: str) -> errors.NsaasError:
    """The domain error for ``exc``; ``what`` names the call (``apply NetworkPolicy/ns/x``)."""
    if isinstance(exc, ConfigError):
        return errors.ConfigurationError(f"kubernetes client configuration: {exc}")
    status = status_of(exc)
    message = f"{what}: {_message(exc)}"
    if isinstance(exc, httpx2.TransportError) or (status is not None and is_transient(exc)):
        return errors.ClusterUnavailable(message, status=status)
    if status == 404:
        return errors.ClusterNotFound(message, status=status)
    if status == 409:
        return errors.ClusterConflict(message, status=status)
    if status is not None:
        return errors.ClusterRejected(message, status=status)
    if isinstance(exc, msgspec.MsgspecError):
        return errors.ClusterError(f"{what}: unreadable response from the API server: {exc}")
    return errors.ClusterError(message)


def is_api_failure(exc: BaseException) -> bool:
    """Exceptions this module knows how to map; anything else is a bug and must propagate."""
    return isinstance(exc, httpx2.HTTPError | msgspec.MsgspecError | ConfigError)

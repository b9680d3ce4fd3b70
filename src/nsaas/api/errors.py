"""The only place that turns nsaas errors into HTTP statuses.

One error shape for every failure: ``{success: false, error, message, details, requestId,
timestamp}``; ``details`` names each failing field. Bad input is always a 4xx; a 500 means a bug
and says nothing about internals.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from nsaas.api import deps
from nsaas.domain import errors
from nsaas.services import denials

log = structlog.get_logger("nsaas.api")

STATUS: list[tuple[type[errors.NsaasError], int]] = [
    (errors.ValidationFailed, 400),
    (errors.PolicyViolation, 422),
    (errors.IdempotencyMismatch, 422),
    (errors.AuthenticationFailed, 401),
    (errors.PermissionDenied, 403),
    (errors.NotFound, 404),
    (errors.PreconditionFailed, 412),
    (errors.Conflict, 409),
    (errors.RateLimited, 429),
    (errors.ClusterUnavailable, 503),
    (errors.DatabaseUnavailable, 503),
    (errors.ClusterError, 502),
    (errors.ConfigurationError, 500),
]


def status_for(exc: errors.NsaasError) -> int:
    for cls, status in STATUS:
        if isinstance(exc, cls):
            return status
    return 500


def body(*, error: str, message: str, request: Request, details: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "success": False,
        "error": error,
        "message": message,
        "details": details or {},
        "requestId": getattr(request.state, "request_id", None),
        "timestamp": datetime.now(UTC).isoformat(),
    }


async def _nsaas_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.NsaasError)
    status = status_for(exc)
    headers: dict[str, str] = {}
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    if isinstance(exc, errors.AuthenticationFailed):
        headers["WWW-Authenticate"] = 'Bearer realm="nsaas"'
    if status >= 500:
        log.error("request failed", error=exc.code, message=exc.message)
    if isinstance(exc, errors.PermissionDenied):
        await _audit_denial(request, exc)
    says_why = isinstance(exc, (errors.ClusterError, errors.DatabaseUnavailable))
    message = exc.message if status < 500 or says_why else "internal error"
    return JSONResponse(
        body(error=exc.code, message=message, request=request, details=exc.details),
        status_code=status,
        headers=headers,
    )


async def _audit_denial(request: Request, exc: errors.PermissionDenied) -> None:
    """Who was refused what and why, into the audit log (folded and capped by the denial recorder)."""
    principal = getattr(request.state, "principal", None)
    runtime = getattr(request.app.state, "runtime", None)
    if principal is None or runtime is None:
        return
    route = request.scope.get("route")
    template = getattr(route, "path", request.url.path)
    await runtime.denials.record(
        denials.Denial(
            actor=principal.subject,
            roles=tuple(sorted(principal.roles)),
            action=f"{request.method} {template}",
            target=str(request.path_params.get("name", "")),
            reason=exc.message,
            correlation_id=getattr(request.state, "correlation_id", None),
            source_ip=request.client.host if request.client else None,
            user_agent=deps.user_agent(request),
        )
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path", "header")]
        details[".".join(loc) or "body"] = str(err.get("msg", "invalid"))
    return JSONResponse(
        body(error="validation_failed", message=f"{len(details)} invalid field(s)", request=request, details=details),
        status_code=400,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    names = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type"}
    return JSONResponse(
        body(error=names.get(exc.status_code, "http_error"), message=str(exc.detail), request=request),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    # The server closes the connection after an unhandled error (Starlette re-raises it to
    # uvicorn); saying so lets a keep-alive client open a new one instead of failing its next call.
    return JSONResponse(
        body(error="internal_error", message="internal error", request=request),
        status_code=500,
        headers={"Connection": "close"},
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(errors.NsaasError, _nsaas_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

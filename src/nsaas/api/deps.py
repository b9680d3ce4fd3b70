"""FastAPI dependencies: the runtime, the authenticated caller, and per-user rate limits."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from nsaas import runtime as runtime_mod
from nsaas.api import ratelimit
from nsaas.domain import errors, identity
from nsaas.services import requests as request_service

#: The audit record's user-agent column holds this many characters.
MAX_USER_AGENT = 512


async def get_runtime(request: Request) -> runtime_mod.Runtime:
    rt: runtime_mod.Runtime = request.app.state.runtime
    return rt


RuntimeDep = Annotated[runtime_mod.Runtime, Depends(get_runtime)]


async def current_principal(
    request: Request, rt: RuntimeDep, authorization: Annotated[str | None, Header()] = None
) -> identity.Principal:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise errors.AuthenticationFailed("a bearer token is required", details={"Authorization": "missing"})
    principal = await rt.authenticator.authenticate(authorization[7:].strip())
    limiter: ratelimit.SlidingWindow = request.app.state.limiter
    limiter.hit(principal.subject)
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[identity.Principal, Depends(current_principal)]


async def caller(request: Request, principal: PrincipalDep) -> request_service.Caller:
    client = request.client.host if request.client else None
    return request_service.Caller(
        principal=principal,
        correlation_id=getattr(request.state, "correlation_id", None),
        source_ip=client,
        user_agent=user_agent(request),
    )


def user_agent(request: Request) -> str | None:
    """The caller's User-Agent as an audit record keeps it (every record: use cases and refusals)."""
    return _bounded(request.headers.get("user-agent"), MAX_USER_AGENT)


def _bounded(value: str | None, limit: int) -> str | None:
    """Request metadata is kept, cut to what the audit record holds (it is informational only)."""
    if value is None:
        return None
    value = value.replace("\x00", "")
    return value if len(value) <= limit else value[: limit - 1] + "…"


CallerDep = Annotated[request_service.Caller, Depends(caller)]

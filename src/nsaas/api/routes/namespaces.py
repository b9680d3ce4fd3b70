"""Namespace routes: request, status, list, detail, change, approve/reject, decommission, bundle, cost."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Response, status

from nsaas.api import schemas
from nsaas.api.deps import CallerDep, RuntimeDep
from nsaas.bundle import render
from nsaas.domain import errors, lifecycle, records, templates

router = APIRouter(prefix="/api/platform/namespaces", tags=["namespaces"], responses=schemas.ERRORS)
#: Keyset paging: the ``next`` of the previous page. Pages after a cursor are not counted (``total`` null).
CursorQuery = Annotated[str | None, Query(max_length=512, description="the previous page's next")]
SORT_PATTERN = "^-?(name|team|environment|tier|cost|status|requestedBy|createdAt|updatedAt|expiresAt)$"

REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": schemas.NamespaceRequestIn.model_json_schema()}},
    }
}
PATCH_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": schemas.NamespacePatchIn.model_json_schema()}},
    }
}


def _object(body: Any, name: str = "body") -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.ValidationFailed("the request body must be a JSON object", details={name: "expected an object"})
    return body


def _etag(record: records.RequestRecord) -> str:
    """The user-editable state only (like Kubernetes' ``generation``): status moves never change it."""
    return f'"{record.generation}"'


def _if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    raw = value.strip().removeprefix("W/").strip('"')
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 15):
        raise errors.PreconditionFailed("If-Match must be an ETag from this API", details={"If-Match": value})
    return int(raw)


@router.post(
    "/request",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=schemas.Envelope[schemas.Accepted],
    openapi_extra=REQUEST_BODY,
    summary="Request a namespace",
)
async def request_namespace(
    rt: RuntimeDep,
    who: CallerDep,
    response: Response,
    body: Annotated[Any, Body()],
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
    engine: Annotated[str | None, Query(pattern="^(direct|argo)$")] = None,
) -> dict[str, Any]:
    return await submit(rt, who, response, _object(body), idempotency_key=idempotency_key, engine=engine)


async def submit(
    rt: RuntimeDep,
    who: CallerDep,
    response: Response,
    body: dict[str, Any],
    *,
    idempotency_key: str | None,
    engine: str | None = None,
) -> dict[str, Any]:
    """Submit a request and answer 202; a replayed Idempotency-Key gets the stored answer."""
    estimate = await rt.operations.estimated_seconds()

    def accepted(record: records.NewRequest) -> dict[str, Any]:
        url = f"/api/platform/namespaces/request/{record.id}/status"
        data = {
            "requestId": record.id,
            "namespaceName": record.spec.name,
            "status": str(record.status),
            "statusUrl": url,
            "estimatedSeconds": estimate,
            "needsApproval": record.status == lifecycle.Status.PENDING_APPROVAL,
            "template": schemas.template_ref(templates.Ref(version=record.template_version)),
        }
        return {"success": True, "data": data, "timestamp": datetime.now(UTC).isoformat()}

    result = await rt.requests.submit(body, who, respond=accepted, idempotency_key=idempotency_key, engine=engine)
    response.headers["Location"] = str(result.response["data"]["statusUrl"])
    return dict(result.response)


@router.post("/preview", response_model=schemas.Envelope[schemas.Preview], openapi_extra=REQUEST_BODY)
async def preview(rt: RuntimeDep, who: CallerDep, body: Annotated[Any, Body()]) -> dict[str, Any]:
    """Bundle, policy verdict and cost estimate for a draft request; nothing is stored."""
    return schemas.ok(schemas.preview(await rt.requests.preview(_object(body), who)))


@router.get("/request/{request_id}/status", response_model=schemas.Envelope[schemas.RequestStatus])
async def request_status(rt: RuntimeDep, who: CallerDep, request_id: str) -> dict[str, Any]:
    record, timeline = await rt.requests.status(request_id, who)
    return schemas.ok(
        {
            "requestId": record.id,
            "namespaceName": record.name,
            "status": str(record.status),
            "statusReason": record.status_reason,
            "lastError": record.last_error,
            "attempts": record.attempts,
            "timeline": [schemas.event(e) for e in timeline],
        }
    )


@router.delete("/request/{request_id}", response_model=schemas.Envelope[schemas.NamespaceSummary])
async def cancel_request(rt: RuntimeDep, who: CallerDep, request_id: str) -> dict[str, Any]:
    return schemas.ok(schemas.summary(await rt.requests.cancel(request_id, who)))


@router.get("", response_model=schemas.Envelope[schemas.Page])
async def list_namespaces(
    rt: RuntimeDep,
    who: CallerDep,
    team: Annotated[str | None, Query(max_length=32)] = None,
    environment: Annotated[str | None, Query(max_length=32)] = None,
    status_: Annotated[str | None, Query(alias="status", max_length=32)] = None,
    tier: Annotated[str | None, Query(max_length=16)] = None,
    q: Annotated[str | None, Query(max_length=63, description="name contains")] = None,
    include_ended: Annotated[bool, Query(alias="includeEnded")] = False,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    sort: Annotated[str | None, Query(pattern=SORT_PATTERN, description="a key, '-' first for descending")] = None,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    """Admins and platform viewers see every team; everyone else sees only their teams ("my namespaces")."""
    return schemas.ok(
        await _page(
            rt,
            who,
            team=team,
            environment=environment,
            status=status_,
            tier=tier,
            q=q,
            include_ended=include_ended,
            offset=offset,
            limit=limit,
            sort=sort,
            cursor=cursor,
        )
    )


async def _page(
    rt: RuntimeDep,
    who: CallerDep,
    *,
    team: str | None,
    environment: str | None,
    status: str | None,
    tier: str | None,
    q: str | None,
    include_ended: bool,
    offset: int,
    limit: int,
    sort: str | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    if cursor and offset:
        raise errors.ValidationFailed(
            "offset and cursor cannot be combined",
            details={"offset": "leave out when a cursor is given", "cursor": "or leave out the cursor"},
        )
    page = await rt.requests.page(
        who,
        team=team,
        environment=environment,
        status=status,
        tier=tier,
        name_contains=q,
        include_ended=include_ended,
        offset=offset,
        limit=limit,
        sort=sort,
        cursor=cursor,
    )
    return {
        "items": [schemas.summary(r) for r in page.items],
        "total": page.total,
        "offset": offset,
        "limit": limit,
        "next": page.next_cursor,
    }


@router.get("/team/{team}", response_model=schemas.Envelope[schemas.Page])
async def team_namespaces(
    rt: RuntimeDep,
    who: CallerDep,
    team: str,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    if not who.principal.can_see(team):
        raise errors.NotFound(f"no team {team}", details={"team": "not found"})
    return schemas.ok(
        await _page(
            rt,
            who,
            team=team,
            environment=None,
            status=None,
            tier=None,
            q=None,
            include_ended=False,
            offset=offset,
            limit=limit,
            cursor=cursor,
        )
    )


@router.get("/{name}", response_model=schemas.Envelope[schemas.NamespaceDetail])
async def namespace_detail(rt: RuntimeDep, who: CallerDep, name: str, response: Response) -> dict[str, Any]:
    """The request, live cluster status, quota usage, network policy and features, cost and timeline."""
    record = await rt.requests.visible(name, who)
    response.headers["ETag"] = _etag(record)
    detail = await rt.inspector.detail(record)
    return schemas.ok(schemas.detail(detail, rt.requests.state_facts(record, who)))


@router.patch("/{name}", response_model=schemas.Envelope[schemas.NamespaceSummary], openapi_extra=PATCH_BODY)
async def change_namespace(
    rt: RuntimeDep,
    who: CallerDep,
    name: str,
    response: Response,
    body: Annotated[Any, Body()],
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=100)] = None,
) -> dict[str, Any]:
    """Change tier, features, TTL (extend) or description; send If-Match with the ETag you read."""
    record = await rt.requests.update(name, _object(body), who, expected_generation=_if_match(if_match))
    response.headers["ETag"] = _etag(record)
    return schemas.ok(schemas.summary(record))


@router.delete(
    "/{name}", status_code=status.HTTP_202_ACCEPTED, response_model=schemas.Envelope[schemas.NamespaceSummary]
)
async def decommission(
    rt: RuntimeDep, who: CallerDep, name: str, reason: Annotated[str, Query(max_length=500)] = ""
) -> dict[str, Any]:
    """Decommission a managed namespace; unmanaged namespaces are never touched (404)."""
    return schemas.ok(schemas.summary(await rt.requests.decommission(name, who, reason=reason)))


@router.post("/{name}/approve", response_model=schemas.Envelope[schemas.NamespaceSummary])
async def approve(
    rt: RuntimeDep,
    who: CallerDep,
    name: str,
    body: schemas.ReasonIn | None = None,
    if_match: Annotated[str | None, Header(alias="If-Match", max_length=100)] = None,
) -> dict[str, Any]:
    """Approve a pending request; send If-Match with the ETag you reviewed to approve exactly that."""
    record = await rt.requests.approve(
        name, who, reason=body.reason if body else "", expected_generation=_if_match(if_match)
    )
    return schemas.ok(schemas.summary(record))


@router.post("/{name}/retry", response_model=schemas.Envelope[schemas.NamespaceSummary])
async def retry(rt: RuntimeDep, who: CallerDep, name: str) -> dict[str, Any]:
    """Try a failed namespace again now with a fresh attempt budget (or nudge a stuck deletion)."""
    return schemas.ok(schemas.summary(await rt.requests.retry(name, who)))


@router.post("/{name}/reject", response_model=schemas.Envelope[schemas.NamespaceSummary])
async def reject(rt: RuntimeDep, who: CallerDep, name: str, body: schemas.ReasonIn) -> dict[str, Any]:
    return schemas.ok(schemas.summary(await rt.requests.reject(name, who, reason=body.reason)))


@router.get("/{name}/manifests", response_model=schemas.Envelope[dict[str, Any]])
async def manifests(
    rt: RuntimeDep,
    who: CallerDep,
    name: str,
    format_: Annotated[str, Query(alias="format", pattern="^(json|yaml)$")] = "json",
) -> Any:
    bundle = await rt.requests.bundle(name, who)
    if format_ == "yaml":
        return Response(render.to_yaml(bundle), media_type="application/yaml")
    return schemas.ok(schemas.bundle(bundle))


@router.get("/{name}/cost", response_model=schemas.Envelope[schemas.CostOut])
async def namespace_cost(rt: RuntimeDep, who: CallerDep, name: str) -> dict[str, Any]:
    return schemas.ok(schemas.estimate(await rt.requests.cost(name, who)))

"""Namespaces: the filterable list, the detail page and its actions (change, extend, decommission).

Changes send ``If-Match`` with the ETag the page was rendered from, so two people editing the
same namespace cannot silently overwrite each other: a stale page gets a clear message instead.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from nsaas.domain import cost, lifecycle, requests, tiers
from nsaas.ui import auth, filters, platform_api, progress, state, views

router = APIRouter()
PAGE = 25
FILTERS = ("q", "team", "environment", "status", "tier")
#: Columns of the list: (sort key, heading); every one sorts on the server, across all pages.
COLUMNS = (
    ("name", "Namespace"),
    ("team", "Team"),
    ("requestedBy", "Owner"),
    ("environment", "Environment"),
    ("cost", "Cost / month"),
    ("status", "Status"),
    ("expiresAt", "Expires"),
    ("createdAt", "Age"),
)
SORTS = frozenset(key for key, _ in COLUMNS)
#: Statuses in which the namespace exists in the cluster, so connecting to it makes sense.
CONNECTABLE = frozenset({"ready", "updating"})
#: A namespace expiring within this many days is flagged in lists and on its page.
EXPIRY_WARNING_DAYS = 7


def _filters(request: Request) -> dict[str, str]:
    return {key: request.query_params.get(key, "").strip() for key in FILTERS}


@router.get("/namespaces")
async def namespace_list(
    request: Request,
    api: auth.ApiDep,
    offset: Annotated[int, Query(ge=0)] = 0,
    ended: Annotated[bool, Query()] = False,
) -> Response:
    chosen = _filters(request)
    sort = request.query_params.get("sort", "")
    sort = sort if sort.lstrip("-") in SORTS else ""
    params: dict[str, Any] = {**chosen, "includeEnded": "true" if ended else None, "offset": offset, "limit": PAGE}
    page = (await api.get("/namespaces", params={**params, "sort": sort or None})).data
    prices = state.of(request).settings.pricing
    for item in page.get("items") or []:
        item["monthlyCost"] = cost.estimate(str(item.get("tier")), prices=prices)
        item["expiresSoon"] = filters.expires_within(item.get("expiresAt"), days=EXPIRY_WARNING_DAYS)
    context = {
        "page": page,
        "filters": chosen,
        "sort": sort,
        "columns": COLUMNS,
        "ended": ended,
        "statuses": [s.value for s in lifecycle.Status],
        "environments": requests.ENVIRONMENTS,
        "tiers": tiers.TIER_NAMES,
        "next_offset": offset + PAGE if offset + PAGE < int(page.get("total", 0)) else None,
        "prev_offset": max(0, offset - PAGE) if offset else None,
    }
    return views.render(request, "_ns_table.html" if views.is_htmx(request) else "namespaces.html", context)


async def _detail_context(api: platform_api.PlatformApi, name: str) -> dict[str, Any]:
    answer, manifests, access = await asyncio.gather(
        api.get(f"/namespaces/{name}"), _manifests(api, name), _access(api, name)
    )
    detail: dict[str, Any] = answer.data
    timeline = list(detail.get("timeline") or [])
    return {
        "ns": detail,
        "etag": answer.etag or "",
        "manifests": manifests,
        "access": access if detail.get("status") in CONNECTABLE else None,
        "timeline": list(reversed(timeline)),
        "after": max((int(e.get("id", 0)) for e in timeline), default=0),
        "stages": progress.stages(str(detail.get("status")), approval=progress.needed_approval(detail)),
        "approval": progress.needed_approval(detail),
        "expires_soon": filters.expires_within(detail.get("expiresAt"), days=EXPIRY_WARNING_DAYS),
        "tiers": [tiers.get(t) for t in tiers.TIER_NAMES],
        "features": requests.FEATURES,
        "allowed": set(detail.get("allowedActions") or ()),
        "denied": dict(detail.get("deniedActions") or {}),
    }


async def _access(api: platform_api.PlatformApi, name: str) -> dict[str, Any] | None:
    """How to reach the namespace with kubectl (``GET .../access``); a page without it still works."""
    try:
        found: dict[str, Any] = (await api.get(f"/namespaces/{name}/access")).data
    except platform_api.ApiError:
        return None
    return found if isinstance(found, dict) else None


async def _manifests(api: platform_api.PlatformApi, name: str) -> str:
    """The rendered bundle as YAML; a page without it is still useful, so failures read as a note."""
    try:
        return await api.text(f"/namespaces/{name}/manifests", params={"format": "yaml"})
    except platform_api.ApiError as error:
        if error.status == 404:
            raise
        return f"# The bundle could not be rendered: {error.message}"


async def _detail(
    request: Request,
    api: platform_api.PlatformApi,
    name: str,
    *,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    try:
        context = await _detail_context(api, name)
    except platform_api.ApiError as error:
        return views.problem(request, error, what="namespace")
    return views.render(request, "namespace.html", {**context, "errors": errors or {}}, status=status)


@router.get("/namespaces/{name}")
async def namespace_detail(request: Request, api: auth.ApiDep, name: str) -> Response:
    return await _detail(request, api, name)


@router.get("/namespaces/{name}/manifests.yaml")
async def manifests_download(request: Request, api: auth.ApiDep, name: str) -> Response:
    """The rendered bundle as a YAML file to save (``kubectl apply -f`` works on it)."""
    try:
        text = await api.text(f"/namespaces/{name}/manifests", params={"format": "yaml"})
    except platform_api.ApiError as error:
        return views.problem(request, error, what="namespace")
    disposition = f'attachment; filename="{name}.yaml"'
    return Response(text, media_type="application/yaml", headers={"Content-Disposition": disposition})


@router.get("/namespaces/{name}/kubeconfig")
async def kubeconfig_download(request: Request, api: auth.ApiDep, name: str) -> Response:
    """The namespace's kubeconfig (one context, named after it) as a file to save."""
    try:
        found = (await api.get(f"/namespaces/{name}/access")).data or {}
    except platform_api.ApiError as error:
        return views.problem(request, error, what="namespace")
    disposition = f'attachment; filename="{name}.kubeconfig.yaml"'
    return Response(
        str(found.get("kubeconfig") or ""), media_type="application/yaml", headers={"Content-Disposition": disposition}
    )


@router.get("/namespaces/{name}/overview")
async def namespace_overview(request: Request, api: auth.ApiDep, name: str) -> Response:
    """The parts of the detail page that change with the status; reloaded live after a status event."""
    try:
        context = await _detail_context(api, name)
    except platform_api.ApiError as error:
        return views.problem(request, error, what="namespace")
    return views.render(request, "_overview.html", {**context, "errors": {}})


def _base_of(detail: dict[str, Any], form: str) -> str:
    """The fields a form changes, as the page showed them (see the hidden ``base`` inputs)."""
    if form == "change":
        return f"{detail.get('tier')}|{','.join(detail.get('features') or [])}"
    return str(detail.get("expiresAt") or "")


async def _patch(
    api: platform_api.PlatformApi, name: str, *, body: dict[str, Any], etag: str, base: str, form: str
) -> None:
    """PATCH with If-Match; on 412, retry once if only the status moved on (the reconciler bumps the
    version too), never when someone changed the fields this form edits."""
    try:
        await api.patch(f"/namespaces/{name}", body=body, if_match=etag or None)
    except platform_api.ApiError as error:
        if error.status != 412 or not base:
            raise
        current = await api.get(f"/namespaces/{name}")
        if _base_of(current.data, form) != base:
            raise
        await api.patch(f"/namespaces/{name}", body=body, if_match=current.etag)


@router.get("/namespaces/{name}/actions")
async def namespace_actions(request: Request, api: auth.ApiDep, name: str) -> Response:
    """The actions the current status allows; reloaded live when a status change alters them."""
    try:
        context = await _detail_context(api, name)
    except platform_api.ApiError as error:
        return views.problem(request, error, what="namespace")
    return views.render(request, "_actions.html", {**context, "errors": {}})


async def _changed(
    request: Request, api: platform_api.PlatformApi, name: str, *, body: dict[str, Any], done: str, form: str
) -> Response:
    fields = await request.form()
    etag, base = str(fields.get("etag") or ""), str(fields.get("base") or "")
    try:
        await _patch(api, name, body=body, etag=etag, base=base, form=form)
    except platform_api.ApiError as error:
        if error.status == 412:
            views.flash(request, "Someone changed this namespace since you loaded the page. Review it and try again.")
            return RedirectResponse(f"/namespaces/{name}", status_code=303)
        if error.status in (400, 403, 409, 422):
            found = error.details if error.status != 403 and error.details else {"form": error.message}
            return await _detail(request, api, name, errors=found, status=error.status)
        raise
    views.flash(request, done)
    return RedirectResponse(f"/namespaces/{name}", status_code=303)


@router.post("/namespaces/{name}/change")
async def change(
    request: Request,
    api: auth.ApiDep,
    name: str,
    resourceTier: Annotated[str, Form()],
) -> Response:
    form = await request.form()
    features = [str(v) for v in form.getlist("features")]
    tier, _, before = str(form.get("base") or "").partition("|")
    if (tier, sorted(filter(None, before.split(",")))) == (resourceTier, sorted(features)):
        views.flash(request, "Nothing to apply: the tier and features are already as chosen.")
        return RedirectResponse(f"/namespaces/{name}", status_code=303)
    body = {"resourceTier": resourceTier, "features": features}
    done = "Change submitted: the namespace is updating."
    return await _changed(request, api, name, body=body, done=done, form="change")


@router.post("/namespaces/{name}/ttl")
async def extend(request: Request, api: auth.ApiDep, name: str, ttl: Annotated[str, Form()]) -> Response:
    body = {"ttl": ttl.strip()}
    return await _changed(request, api, name, body=body, done=f"Expiry set to {ttl.strip()} from now.", form="ttl")


@router.post("/namespaces/{name}/decommission")
async def decommission(
    request: Request,
    api: auth.ApiDep,
    name: str,
    confirm: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Typed confirmation: the name must be typed exactly, checked here and not only in the browser."""
    if confirm.strip() != name:
        return await _detail(request, api, name, errors={"confirm": f"Type {name} exactly to confirm."}, status=400)
    try:
        await api.delete(f"/namespaces/{name}", params={"reason": reason.strip()})
    except platform_api.ApiError as error:
        if error.status in (400, 409, 422):
            return await _detail(request, api, name, errors={"confirm": error.message}, status=error.status)
        raise
    views.flash(request, f"Decommissioning {name}.")
    return RedirectResponse(f"/namespaces/{name}", status_code=303)


@router.post("/namespaces/{name}/retry")
async def retry(request: Request, api: auth.ApiDep, name: str) -> Response:
    """Try a failed namespace again now, with a fresh attempt budget."""
    try:
        await api.post(f"/namespaces/{name}/retry")
    except platform_api.ApiError as error:
        if error.status not in (403, 409):
            raise
        views.flash(request, f"Could not retry {name}: {error.message}")
        return RedirectResponse(f"/namespaces/{name}", status_code=303)
    views.flash(request, f"Retrying {name} now.")
    return RedirectResponse(f"/namespaces/{name}", status_code=303)


@router.post("/namespaces/{name}/cancel")
async def cancel(request: Request, api: auth.ApiDep, name: str, requestId: Annotated[str, Form()]) -> Response:
    await api.delete(f"/namespaces/request/{requestId}")
    views.flash(request, f"Request for {name} cancelled.")
    return RedirectResponse(f"/namespaces/{name}", status_code=303)


@router.post("/namespaces/{name}/approve")
async def approve(
    request: Request,
    api: auth.ApiDep,
    name: str,
    reason: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    return await _decide(request, api, name, verb="approve", reason=reason, back=back)


@router.post("/namespaces/{name}/reject")
async def reject(
    request: Request,
    api: auth.ApiDep,
    name: str,
    reason: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
) -> Response:
    return await _decide(request, api, name, verb="reject", reason=reason, back=back)


async def _decide(
    request: Request, api: platform_api.PlatformApi, name: str, *, verb: str, reason: str, back: str
) -> Response:
    target = auth.safe_next(back or f"/namespaces/{name}")
    if verb == "reject" and not reason.strip():
        views.flash(request, f"Rejecting {name} needs a reason the requester can read.")
        return RedirectResponse(target, status_code=303)
    try:
        await api.post(f"/namespaces/{name}/{verb}", body={"reason": reason.strip()})
    except platform_api.ApiError as error:
        if error.status not in (400, 403, 409, 422):
            raise
        views.flash(request, f"Could not {verb} {name}: {error.message}")
        return RedirectResponse(target, status_code=303)
    views.flash(request, f"{name} {'approved' if verb == 'approve' else 'rejected'}.")
    return RedirectResponse(target, status_code=303)

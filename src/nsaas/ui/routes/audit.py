"""Audit log for platform and security admins; the API refuses everyone else (403), shown as such.

Filters offer the values that occur (the API's facets), so "approve" cannot silently find
nothing when the action is ``namespace.approve``. Each record shows what changed (before and
after, key by key), and the filtered log can be exported as CSV.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response, StreamingResponse

from nsaas.ui import auth, platform_api, views

router = APIRouter()
PAGE = 50
FILTERS = ("actor", "action", "target", "team", "outcome", "since", "until")
OUTCOMES = ("success", "denied", "failed")
#: An export reads the API in pages of this size, up to EXPORT_LIMIT records.
EXPORT_PAGE = 500
EXPORT_LIMIT = 20_000
CSV_COLUMNS = ("at", "actor", "roles", "action", "targetType", "target", "outcome", "detail", "sourceIp")


def _chosen(request: Request) -> dict[str, str]:
    return {key: request.query_params.get(key, "").strip() for key in FILTERS}


def _api_params(chosen: dict[str, str]) -> dict[str, Any]:
    """The API's parameters: ``until`` is a day the reader includes, so the API gets the next midnight."""
    params: dict[str, Any] = dict(chosen)
    if chosen["until"]:
        try:
            params["until"] = (dt.date.fromisoformat(chosen["until"]) + dt.timedelta(days=1)).isoformat()
        except ValueError:
            params["until"] = chosen["until"]
    return params


def changes(before: Any, after: Any) -> list[dict[str, str]]:
    """Key by key, what a record changed: every key whose value differs between before and after."""
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    found = []
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            found.append({"key": key, "before": _show(old.get(key)), "after": _show(new.get(key))})
    return found


def _show(value: Any) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


@router.get("/audit")
async def audit_page(request: Request, api: auth.ApiDep, offset: Annotated[int, Query(ge=0)] = 0) -> Response:
    chosen = _chosen(request)
    params: dict[str, Any] = {**_api_params(chosen), "offset": offset, "limit": PAGE}
    try:
        answer, facets = await asyncio.gather(api.get("/audit", params=params), api.get("/audit/facets"))
    except platform_api.ApiError as error:
        return views.problem(request, error, what="audit log")
    page = answer.data or {}
    items = list(page.get("items") or [])
    for item in items:
        item["changes"] = changes(item.get("before"), item.get("after"))
    total = int(page.get("total", 0))
    context = {
        "items": items,
        "filters": chosen,
        "facets": facets.data or {},
        "outcomes": OUTCOMES,
        "total": total,
        "next_offset": offset + PAGE if offset + PAGE < total else None,
        "prev_offset": max(0, offset - PAGE) if offset else None,
    }
    return views.render(request, "audit.html", context)


@router.get("/audit/export.csv")
async def audit_export(request: Request, api: auth.ApiDep) -> Response:
    """The filtered log as CSV (newest first), read from the API page by page while it is sent."""
    params = _api_params(_chosen(request))
    first = await api.get("/audit", params={**params, "offset": 0, "limit": EXPORT_PAGE})

    async def rows() -> AsyncIterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([*CSV_COLUMNS, "before", "after"])
        page, offset = first.data or {}, 0
        while True:
            for item in page.get("items") or []:
                values = [", ".join(v) if isinstance(v, list) else v for v in (item.get(c) for c in CSV_COLUMNS)]
                writer.writerow([*values, *(json.dumps(item.get(k), sort_keys=True) for k in ("before", "after"))])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            offset += EXPORT_PAGE
            if offset >= min(int(page.get("total", 0)), EXPORT_LIMIT):
                return
            page = (await api.get("/audit", params={**params, "offset": offset, "limit": EXPORT_PAGE})).data or {}

    headers = {"Content-Disposition": 'attachment; filename="nsaas-audit.csv"'}
    return StreamingResponse(rows(), media_type="text/csv", headers=headers)

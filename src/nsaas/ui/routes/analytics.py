"""Analytics: charts of what the API computes from the database (``/analytics/*``).

Counts and durations are measured; resources and costs are estimates from tier reservations and
the price table, and the page says so with the API's stated basis. Chart data goes to the
browser in ``application/json`` data blocks (never executed, so the CSP needs no inline script;
Jinja's ``tojson`` escapes ``<``); ``static/charts.js`` draws them with the vendored Chart.js,
and every chart has a table beside it.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from nsaas.ui import auth, views

router = APIRouter()


def _pairs(mapping: Any) -> list[list[Any]]:
    return [[str(k), v] for k, v in sorted((mapping or {}).items())]


def charts(usage: dict[str, Any], board: dict[str, Any], costs: dict[str, Any]) -> list[dict[str, Any]]:
    """Chart descriptions (id, title, kind, labels, values) in the order the page shows them."""
    per_day = usage.get("createdPerDay") or []
    provisioning = board.get("provisioning") or {}
    found = [
        {"id": "per-day", "title": "Namespaces requested per day", "kind": "line", "unit": "requests",
         "rows": [[d.get("day"), d.get("count", 0)] for d in per_day]},
        {"id": "by-team", "title": "Namespaces by team", "kind": "bar", "unit": "namespaces",
         "rows": _pairs(usage.get("byTeam"))},
        {"id": "by-environment", "title": "Namespaces by environment", "kind": "bar", "unit": "namespaces",
         "rows": _pairs(usage.get("byEnvironment"))},
        {"id": "by-tier", "title": "Namespaces by tier", "kind": "bar", "unit": "namespaces",
         "rows": _pairs(usage.get("byTier"))},
        {"id": "outcomes", "title": "Provisioning outcomes", "kind": "bar", "unit": "requests",
         "rows": [["succeeded", provisioning.get("succeeded", 0)], ["failed", provisioning.get("failed", 0)]]},
        {"id": "durations", "title": "Provisioning duration (seconds)", "kind": "bar", "unit": "seconds",
         "rows": [[k, provisioning.get(f"{k}Seconds")] for k in ("p50", "p95", "max")
                  if provisioning.get(f"{k}Seconds") is not None]},
        {"id": "cost-by-team", "title": f"Estimated monthly cost by team ({costs.get('currency', 'USD')})",
         "kind": "bar", "unit": costs.get("currency", "USD"), "rows": _pairs(costs.get("byTeam")), "estimate": True},
    ]  # fmt: skip
    for chart in found:
        chart["data"] = {k: chart[k] for k in ("kind", "unit", "rows", "title")}
    return found


@router.get("/analytics")
async def analytics_page(request: Request, api: auth.ApiDep) -> Response:
    usage, board, costs = await asyncio.gather(
        api.get("/analytics/usage"), api.get("/analytics/dashboard"), api.get("/analytics/costs")
    )
    context = {
        "usage": usage.data or {},
        "board": board.data or {},
        "costs": costs.data or {},
        "charts": charts(usage.data or {}, board.data or {}, costs.data or {}),
    }
    return views.render(request, "analytics.html", context)

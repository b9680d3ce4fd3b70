"""The request form: inline validation as you type, a live cost estimate and the manifest preview.

While typing, htmx posts the form to ``/request/preview`` (debounced); that asks the API's
``POST /namespaces/preview`` (nothing stored) and answers the preview panel plus out-of-band
swaps that put each field's message next to the field. Submitting without JavaScript works too.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from nsaas.ui import auth, forms, platform_api, sessions, views

router = APIRouter()
#: Every field that has a message slot next to it; anything else is shown above the form.
FIELDS = (
    "namespaceName", "team", "environment", "resourceTier", "networkPolicy", "features", "description",
    "costCenter", "ttl", "rbacConfig", "rbacConfig.principalId", "rbacConfig.principalType",
    "rbacConfig.roleDefinition",
)  # fmt: skip


def _slots(errors: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Messages per field slot, and the ones that belong to no field."""
    placed = {field: errors.get(field, "") for field in FIELDS}
    loose = [f"{field}: {message}" for field, message in errors.items() if field not in FIELDS]
    return placed, loose


def _context(me: sessions.Identity, draft: dict[str, Any], errors: dict[str, str], **extra: Any) -> dict[str, Any]:
    placed, loose = _slots(errors)
    return {**forms.choices(), "draft": draft, "errors": placed, "loose": loose, "teams": me.teams, **extra}


@router.get("/request")
async def request_page(request: Request, api: auth.ApiDep, me: auth.MeDep, template: str = "") -> Response:
    team = me.teams[0] if me.teams else ""
    draft = forms.empty_draft(team=team)
    chosen = None
    if template:
        try:
            chosen = (await api.get(f"/catalog/templates/{template}")).data
        except platform_api.ApiError as error:
            return views.problem(request, error, what="template")
        draft = forms.draft_from_template(chosen, team=team)
    return views.render(request, "request.html", _context(me, draft, {}, template=chosen))


@router.post("/request/preview")
async def preview(request: Request, api: auth.ApiDep) -> Response:
    form = await request.form()
    draft = forms.draft_from_form(form)
    outcome: dict[str, Any] | None = None
    try:
        outcome = (await api.post("/namespaces/preview", body=forms.body_of(draft))).data
        details = dict((outcome or {}).get("violations") or {})
    except platform_api.ApiError as error:
        if error.status not in (400, 422):
            raise
        details = error.details or {"form": error.message}
    placed, loose = _slots(forms.visible_errors(details, draft, touched=forms.touched_fields(form)))
    complete = outcome is not None and not details
    context = {"outcome": outcome, "errors": placed, "loose": loose, "complete": complete}
    return views.render(request, "_preview.html", context)


@router.post("/request")
async def submit(request: Request, api: auth.ApiDep, me: auth.MeDep) -> Response:
    draft = forms.draft_from_form(await request.form())
    try:
        accepted = (await api.post("/namespaces/request", body=forms.body_of(draft))).data
    except platform_api.ApiError as error:
        if error.status not in (400, 403, 409, 422, 429):
            raise
        errors = error.details or {"form": error.message}
        context = _context(me, draft, errors, refused=error.message, template=None)
        return views.render(request, "request.html", context, status=error.status)
    name = str(accepted.get("namespaceName") or draft["namespaceName"])
    if accepted.get("needsApproval"):
        views.flash(request, f"Requested {name}. It needs approval before it is provisioned.")
    else:
        views.flash(request, f"Requested {name}. Provisioning has started.")
    return RedirectResponse(f"/namespaces/{name}", status_code=303)

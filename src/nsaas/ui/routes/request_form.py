"""The request form: inline validation as you type, a live cost estimate and the manifest preview.

While typing, htmx posts the form to ``/request/preview`` (debounced); that asks the API's
``POST /namespaces/preview`` (nothing stored) and answers the preview panel plus out-of-band
swaps that put each field's message next to the field. Submitting without JavaScript works too.
"""

from __future__ import annotations

import secrets
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


#: Field -> (id of its control, its label): the error summary links each message to its field.
CONTROLS = {
    "namespaceName": ("r-name", "Namespace name"),
    "team": ("r-team", "Team"),
    "environment": ("r-env", "Environment"),
    "resourceTier": ("r-tier", "Resource tier"),
    "networkPolicy": ("r-net", "Network policy"),
    "features": ("r-features", "Features"),
    "description": ("r-desc", "Description"),
    "costCenter": ("r-cc", "Cost center"),
    "ttl": ("r-ttl", "Expire after"),
    "rbacConfig": ("r-pid", "Azure AD principal"),
    "rbacConfig.principalId": ("r-pid", "Principal object ID"),
    "rbacConfig.principalType": ("r-ptype", "Principal type"),
    "rbacConfig.roleDefinition": ("r-role", "Role"),
}
#: After a refused submit every field counts as touched, so the live preview keeps every message.
ALL_TOUCHED = ",".join([*forms.TEXT_FIELDS, "features", *(f"rbac.{k}" for k in forms.RBAC_FIELDS)])


def _summary(errors: dict[str, str]) -> list[dict[str, str]]:
    """The error summary of a refused submit: one linked line per failing field, in form order."""
    ordered = [f for f in CONTROLS if f in errors] + [f for f in errors if f not in CONTROLS]
    found = []
    for field in ordered:
        control, label = CONTROLS.get(field, ("request-form", field))
        found.append({"href": f"#{control}", "label": label, "message": errors[field]})
    return found


async def _template_errors(api: platform_api.PlatformApi, draft: dict[str, Any]) -> dict[str, str]:
    """A draft started from a catalog template stays inside the template's environments."""
    template = await _template(api, str(draft.get("template") or ""))
    allowed = list((template or {}).get("environments") or [])
    if template is None or not allowed or draft.get("environment") in allowed:
        return {}
    return {"environment": f"the {template.get('name')} template is for {', '.join(allowed)} only"}


async def _template(api: platform_api.PlatformApi, template_id: str) -> dict[str, Any] | None:
    if not template_id:
        return None
    try:
        found: dict[str, Any] = (await api.get(f"/catalog/templates/{template_id}")).data
    except platform_api.ApiError as error:
        if error.status == 404:
            return None
        raise
    return found


def _slots(errors: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Messages per field slot, and the ones that belong to no field."""
    placed = {field: errors.get(field, "") for field in FIELDS}
    loose = [f"{field}: {message}" for field, message in errors.items() if field not in FIELDS]
    return placed, loose


def _context(
    me: sessions.Identity,
    draft: dict[str, Any],
    errors: dict[str, str],
    *,
    template: dict[str, Any] | None,
    refused: bool = False,
) -> dict[str, Any]:
    placed, loose = _slots(errors)
    choices = forms.choices()
    if template and template.get("environments"):
        choices["environments"] = [e for e in choices["environments"] if e in template["environments"]]
    return {
        **choices,
        "draft": draft,
        "errors": placed,
        "loose": loose,
        "teams": me.teams,
        "template": template,
        "summary": _summary(errors) if refused else [],
        "touched": ALL_TOUCHED if refused else "",
        "idempotency_key": secrets.token_urlsafe(16),
    }


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
    details = {**details, **await _template_errors(api, draft)}
    placed, loose = _slots(forms.visible_errors(details, draft, touched=forms.touched_fields(form)))
    complete = outcome is not None and not details
    context = {"outcome": outcome, "errors": placed, "loose": loose, "complete": complete}
    return views.render(request, "_preview.html", context)


@router.post("/request")
async def submit(request: Request, api: auth.ApiDep, me: auth.MeDep) -> Response:
    form = await request.form()
    draft = forms.draft_from_form(form)
    template = await _template(api, str(draft.get("template") or ""))
    refusal = await _template_errors(api, draft)
    key = str(form.get("idempotency_key") or "") or None
    try:
        if refusal:
            raise platform_api.ApiError(400, "validation_failed", "the template does not allow this", refusal)
        accepted = (await api.post("/namespaces/request", body=forms.body_of(draft), idempotency_key=key)).data
    except platform_api.ApiError as error:
        if error.status not in (400, 403, 409, 422, 429):
            raise
        errors = error.details if error.status in (400, 422) and error.details else {"form": error.message}
        context = _context(me, draft, errors, template=template, refused=True)
        return views.render(request, "request.html", context, status=error.status)
    name = str(accepted.get("namespaceName") or draft["namespaceName"])
    if accepted.get("needsApproval"):
        views.flash(request, f"Requested {name}. It needs approval before it is provisioned.")
    else:
        views.flash(request, f"Requested {name}. Provisioning has started.")
    return RedirectResponse(f"/namespaces/{name}", status_code=303)

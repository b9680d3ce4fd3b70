"""The request form <-> the API's request body, and which field errors to show while typing.

The rules themselves are the API's (``nsaas.domain.requests``, run by ``POST /namespaces/preview``):
the UI only shapes the form into the body and puts each message next to its field. Choices in
the form come from the same domain constants, so the form cannot offer what the API refuses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import FormData

from nsaas.domain import requests, tiers

TEXT_FIELDS = (
    "namespaceName",
    "team",
    "environment",
    "resourceTier",
    "networkPolicy",
    "description",
    "costCenter",
    "ttl",
)
RBAC_FIELDS = ("principalId", "principalType", "roleDefinition")


def choices() -> dict[str, Any]:
    return {
        "environments": requests.ENVIRONMENTS,
        "tiers": [tiers.get(name) for name in tiers.TIER_NAMES],
        "network_policies": requests.NETWORK_POLICIES,
        "features": requests.FEATURES,
        "principal_types": requests.PRINCIPAL_TYPES,
        "role_definitions": requests.ROLE_DEFINITIONS,
        "limits": {
            "name": requests.MAX_NAME,
            "description": requests.MAX_DESCRIPTION,
            "costCenter": requests.MAX_COST_CENTER,
        },
    }


def draft_from_form(form: FormData) -> dict[str, Any]:
    """What the user typed, kept as typed so a re-rendered form shows it again."""
    draft: dict[str, Any] = {key: str(form.get(key) or "").strip() for key in TEXT_FIELDS}
    draft["description"] = str(form.get("description") or "")
    draft["features"] = [str(v) for v in form.getlist("features")]
    draft["rbac"] = {key: str(form.get(f"rbac.{key}") or "").strip() for key in RBAC_FIELDS}
    draft["template"] = str(form.get("template") or "").strip()
    return draft


def body_of(draft: Mapping[str, Any]) -> dict[str, Any]:
    """The API body for a draft; optional fields left empty are omitted, not sent as ''."""
    body: dict[str, Any] = {key: draft.get(key, "") for key in TEXT_FIELDS if key != "ttl"}
    body["features"] = list(draft.get("features") or [])
    if draft.get("ttl"):
        body["ttl"] = draft["ttl"]
    rbac = draft.get("rbac") or {}
    if any(rbac.values()):
        body["rbacConfig"] = dict(rbac)
    return body


def draft_from_template(template: Mapping[str, Any], *, team: str) -> dict[str, Any]:
    """A draft prefilled from a catalog template (``GET /catalog/templates/{id}``)."""
    environments = list(template.get("environments") or requests.ENVIRONMENTS)
    defaults = {p.get("name"): p.get("default") for p in template.get("parameters") or [] if isinstance(p, dict)}
    return {
        "namespaceName": "",
        "team": team,
        "environment": environments[0],
        "resourceTier": str(template.get("resourceTier") or "small"),
        "networkPolicy": str(defaults.get("networkPolicy") or "isolated"),
        "description": str(template.get("description") or ""),
        "costCenter": "",
        "ttl": "",
        "features": list(template.get("features") or []),
        "rbac": dict.fromkeys(RBAC_FIELDS, ""),
        "template": str(template.get("id") or ""),
    }


def empty_draft(*, team: str) -> dict[str, Any]:
    draft: dict[str, Any] = dict.fromkeys(TEXT_FIELDS, "")
    draft.update(team=team, environment="development", resourceTier="small", networkPolicy="isolated")
    draft.update(features=[], rbac=dict.fromkeys(RBAC_FIELDS, ""))
    return draft


def touched_fields(form: FormData) -> set[str]:
    """Fields the user has edited, as static/app.js records them in the hidden ``_touched`` input."""
    raw = str(form.get("_touched") or "")
    return {name.replace("rbac.", "rbacConfig.") for name in raw.split(",") if name}


def visible_errors(details: Mapping[str, str], draft: Mapping[str, Any], *, touched: set[str]) -> dict[str, str]:
    """While typing, show a field's error once it has a value or the user has edited it.

    "is required" under every empty field of a form the user has only started would be noise;
    on submit every error is shown (the caller passes all of ``details`` then).
    """
    shown: dict[str, str] = {}
    for field, message in details.items():
        top = field.split(".")[0]
        value = draft.get("rbac", {}).get(field.split(".")[-1]) if top == "rbacConfig" else draft.get(top)
        if value or field in touched or top in touched:
            shown[field] = message
    return shown

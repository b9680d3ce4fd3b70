"""The namespace request as clients write it: one Pydantic model is its shape, everywhere.

The API body (``POST /namespaces/request`` and ``/preview``), a GitOps NamespaceRequest's
``spec`` and a CLI request file share one camelCase shape. :class:`NamespaceRequestIn` (and
:class:`NamespacePatchIn` for a change) is its single source: the API publishes it as the
OpenAPI schema and every path validates with it, so types, lengths, patterns, enums and NUL-free
text are declared once. The domain knows neither this shape nor its field names: it gets a
:class:`~nsaas.domain.requests.NamespaceSpec`, or the
:class:`~nsaas.domain.requests.Draft` of the sound fields of a faulty request.

:func:`parse` never raises for a bad field: it returns every problem together with the draft,
so a use case runs policy on the sound fields in the same pass and one answer names every
failing field, shape and policy together. Messages are written for people: the UI shows them
next to the fields.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, WithJsonSchema, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from nsaas.domain import errors, requests, tiers

NUL_FREE = r"^[^\x00]*$"
NUL_MESSAGE = "must not contain NUL characters"
GUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
TTL_MESSAGE = f'must be a duration like "72h" or "7d" between 1h and {requests.MAX_TTL_HOURS // 24}d'


def ttl_hours(value: Any) -> int | None:
    """A TTL as hours: ``"72h"``, ``"7d"`` or an integer number of hours; None means no expiry."""
    if value is None or value == "":
        return None
    hours: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        hours = value
    elif isinstance(value, str) and (m := requests.TTL_RE.match(value.strip())):
        hours = int(m.group(1)) * (24 if m.group(2) == "d" else 1)
    if hours is None or not 1 <= hours <= requests.MAX_TTL_HOURS:
        raise PydanticCustomError("ttl", TTL_MESSAGE)
    return hours


Name = Annotated[str, Field(max_length=requests.MAX_NAME, pattern=requests.NAME_RE.pattern)]
Team = Annotated[
    str, Field(min_length=requests.TEAM_LENGTH[0], max_length=requests.TEAM_LENGTH[1], pattern=requests.TEAM_RE.pattern)
]
Description = Annotated[str, Field(max_length=requests.MAX_DESCRIPTION, pattern=NUL_FREE)]
CostCenter = Annotated[str, Field(max_length=requests.MAX_COST_CENTER, pattern=NUL_FREE)]
Ttl = Annotated[
    int | None,
    BeforeValidator(ttl_hours),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": r"^\d+[hd]$"},
                {"type": "integer", "minimum": 1, "maximum": requests.MAX_TTL_HOURS},
                {"type": "null"},
            ],
            "description": 'Expiry, e.g. "72h" or "7d" (or a number of hours); null means none',
        }
    ),
]


class RbacConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    principalId: str = Field(pattern=GUID, description="Azure AD object ID (GUID)")
    principalType: requests.PrincipalType
    roleDefinition: requests.RoleDefinition


class NamespaceRequestIn(BaseModel):
    """A namespace request: what a team asks for."""

    model_config = ConfigDict(extra="forbid")
    namespaceName: Name
    team: Team
    environment: requests.Environment
    resourceTier: tiers.TierName
    networkPolicy: requests.NetworkPolicy
    features: list[requests.Feature] = Field(default_factory=list)
    description: Description = ""
    costCenter: CostCenter = ""
    rbacConfig: RbacConfigIn | None = None
    ttl: Ttl = None

    @model_validator(mode="before")
    @classmethod
    def _empty_is_absent(cls, raw: Any) -> Any:
        """A field sent empty (a form's blank input) or null counts as not sent."""
        if isinstance(raw, Mapping):
            return {key: value for key, value in raw.items() if value is not None and value != ""}
        return raw

    def to_spec(self) -> requests.NamespaceSpec:
        rbac = self.rbacConfig
        return requests.NamespaceSpec(
            name=self.namespaceName,
            team=self.team,
            environment=self.environment,
            tier=self.resourceTier,
            network_policy=self.networkPolicy,
            # Canonical order and no duplicates, so equal requests render identical bundles.
            features=tuple(f for f in requests.FEATURES if f in self.features),
            description=self.description,
            cost_center=self.costCenter,
            rbac=None
            if rbac is None
            else requests.RbacConfig(rbac.principalId.lower(), rbac.principalType, rbac.roleDefinition),
            ttl_hours=self.ttl,
        )


#: Fields a change may carry; everything else is fixed for the life of a request.
MUTABLE_FIELDS = ("resourceTier", "features", "ttl", "description")


class NamespacePatchIn(BaseModel):
    """A change of a request: only these fields; ``ttl`` null (or empty) removes the expiry."""

    model_config = ConfigDict(extra="forbid")
    resourceTier: tiers.TierName | None = None
    features: list[requests.Feature] | None = None
    ttl: Ttl = None
    description: Description | None = None


@dataclass(frozen=True, slots=True)
class Parsed:
    """A request body after the field checks: the spec when every field is sound, and every problem."""

    draft: requests.Draft
    problems: Mapping[str, str]
    spec: requests.NamespaceSpec | None


def parse(raw: Any) -> Parsed:
    """Check every field of untrusted input; raises only when the body is not an object."""
    _require_object(raw)
    try:
        body = NamespaceRequestIn.model_validate(raw)
    except ValidationError as exc:
        problems = _problems(exc.errors(), NamespaceRequestIn)
        return Parsed(draft=_draft(raw, problems), problems=problems, spec=None)
    spec = body.to_spec()
    return Parsed(draft=requests.Draft.of(spec), problems={}, spec=spec)


def parse_spec(raw: Any) -> requests.NamespaceSpec:
    """Validate untrusted input; raise ValidationFailed listing every failing field."""
    parsed = parse(raw)
    if parsed.spec is None:
        raise _invalid("the namespace request", parsed.problems)
    return parsed.spec


def body_of(spec: requests.NamespaceSpec) -> dict[str, Any]:
    """The request as a client would write it (round-trips through :func:`parse_spec`)."""
    body: dict[str, Any] = {
        "namespaceName": spec.name,
        "team": spec.team,
        "environment": spec.environment,
        "resourceTier": spec.tier,
        "networkPolicy": spec.network_policy,
        "features": list(spec.features),
        "description": spec.description,
        "costCenter": spec.cost_center,
    }
    if spec.rbac is not None:
        body["rbacConfig"] = {
            "principalId": spec.rbac.principal_id,
            "principalType": spec.rbac.principal_type,
            "roleDefinition": spec.rbac.role_definition,
        }
    if spec.ttl_hours is not None:
        body["ttl"] = f"{spec.ttl_hours}h"
    return body


def apply_patch(spec: requests.NamespaceSpec, raw: Any) -> requests.NamespaceSpec:
    """``spec`` with a change applied; raises ValidationFailed naming every bad field of it."""
    _require_object(raw)
    try:
        patch = NamespacePatchIn.model_validate(raw)
    except ValidationError as exc:
        raise _invalid("the change", _problems(exc.errors(), NamespacePatchIn)) from None
    given = patch.model_fields_set
    values: dict[str, Any] = {}
    if "resourceTier" in given:
        if patch.resourceTier is None:
            raise _invalid("the change", {"resourceTier": "is required"})
        values["tier"] = patch.resourceTier
    if "features" in given:
        values["features"] = tuple(f for f in requests.FEATURES if f in (patch.features or ()))
    if "ttl" in given:
        values["ttl_hours"] = patch.ttl
    if "description" in given:
        values["description"] = patch.description or ""
    return dataclasses.replace(spec, **values)


def _require_object(raw: Any) -> None:
    if not isinstance(raw, Mapping):
        raise errors.ValidationFailed("the request body must be a JSON object", details={"body": "expected an object"})


def _invalid(what: str, problems: Mapping[str, str]) -> errors.ValidationFailed:
    return errors.ValidationFailed(f"{what} has {len(problems)} invalid field(s)", details=dict(problems))


#: Messages that say more than the generic one, by field path and Pydantic error type.
MESSAGES: dict[tuple[str, str], str] = {
    ("namespaceName", "string_pattern_mismatch"): (
        "must be lowercase letters, digits and '-', starting and ending with a letter or digit"
    ),
    ("team", "string_pattern_mismatch"): "must be lowercase letters and digits in words joined by single '-'",
    ("description", "string_pattern_mismatch"): NUL_MESSAGE,
    ("costCenter", "string_pattern_mismatch"): NUL_MESSAGE,
    ("rbacConfig", "model_type"): "must be an object with principalId, principalType, roleDefinition",
    ("rbacConfig.principalId", "*"): "must be an Azure AD object ID (GUID)",
    ("rbacConfig.principalType", "*"): "must be User or Group",
    ("rbacConfig.roleDefinition", "*"): (
        f"must be one of {', '.join(requests.ROLE_DEFINITIONS)} (cluster-admin is never granted)"
    ),
}
CHOICES: dict[str, tuple[str, ...]] = {
    "environment": requests.ENVIRONMENTS,
    "resourceTier": tiers.TIER_NAMES,
    "networkPolicy": requests.NETWORK_POLICIES,
}


def _problems(found: list[ErrorDetails], model: type[BaseModel]) -> dict[str, str]:
    """Pydantic's errors as one message per field, in words a person can act on."""
    problems: dict[str, str] = {}
    unknown_features: list[str] = []
    for err in found:
        loc = err["loc"]
        path = ".".join(str(p) for p in loc) or "body"
        if loc and loc[0] == "features":
            if err["type"] == "literal_error" and isinstance(err["input"], str):
                unknown_features.append(err["input"])
            else:
                problems["features"] = "must be a list of feature names"
            continue
        problems[path] = _message(path, err, model)
    if unknown_features and "features" not in problems:
        problems["features"] = (
            f"unknown feature(s) {', '.join(unknown_features)}; allowed: {', '.join(requests.FEATURES)}"
        )
    return problems


def _message(path: str, err: ErrorDetails, model: type[BaseModel]) -> str:
    kind = err["type"]
    special = MESSAGES.get((path, kind)) or MESSAGES.get((path, "*"))
    if special:
        return special
    ctx = err.get("ctx") or {}
    value = err["input"]
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        if model is NamespacePatchIn:
            return "cannot be changed after the request; changeable: " + ", ".join(MUTABLE_FIELDS)
        if "." in path:
            return "unknown field"
        return "unknown field; allowed: " + ", ".join(sorted(model.model_fields))
    if kind in ("string_too_long", "string_too_short"):
        if path == "team":
            low, high = requests.TEAM_LENGTH
            return f"must be {low} to {high} characters (got {len(value)})"
        bound = "at most {max_length}" if kind == "string_too_long" else "at least {min_length}"
        return f"must be {bound.format(**ctx)} characters (got {len(value)})"
    if kind == "literal_error" and path in CHOICES:
        return f"must be one of {', '.join(CHOICES[path])} (got {value!r})"
    if kind == "string_type":
        return "must be a string"
    if kind == "string_unicode":
        return "must be valid Unicode text (no unpaired surrogates)"
    return str(err["msg"])


DRAFT_FIELDS = {
    "namespaceName": "name",
    "team": "team",
    "environment": "environment",
    "resourceTier": "tier",
    "networkPolicy": "network_policy",
    "ttl": "ttl_hours",
    "features": "features",
}


def _draft(raw: Mapping[str, Any], problems: Mapping[str, str]) -> requests.Draft:
    """The fields of a faulty request that passed their own checks: what policy can still judge."""
    sound: dict[str, Any] = {}
    for key, attribute in DRAFT_FIELDS.items():
        value = raw.get(key)
        if key in problems or value is None or value == "":
            continue
        if key == "ttl":
            value = ttl_hours(value)
        elif key == "features":
            value = tuple(f for f in requests.FEATURES if f in value)
        sound[attribute] = value
    return requests.Draft(**sound)

"""Catalog templates: curated starting points that produce a normal namespace request.

Each template fixes a tier and features and declares typed parameters; deploying one validates
the parameters (every failing one reported) and returns the request body, which then goes
through the same validation, policy and approval as any other request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from nsaas.domain import errors, requests

ParamType = Literal["string", "enum", "integer"]


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    type: ParamType
    description: str
    required: bool = True
    choices: tuple[str, ...] = ()
    default: str | int | None = None
    pattern: str | None = None
    minimum: int | None = None
    maximum: int | None = None

    def to_api(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "description": self.description,
            "required": self.required,
        }
        for key, value in (
            ("choices", list(self.choices)),
            ("default", self.default),
            ("pattern", self.pattern),
            ("minimum", self.minimum),
            ("maximum", self.maximum),
        ):
            if value not in (None, []):
                body[key] = value
        return body


@dataclass(frozen=True, slots=True)
class Template:
    id: str
    name: str
    description: str
    category: str
    tier: str
    features: tuple[requests.Feature, ...]
    environments: tuple[requests.Environment, ...]
    network_policy: requests.NetworkPolicy = "isolated"

    @property
    def parameters(self) -> tuple[Parameter, ...]:
        return (
            Parameter("namespaceName", "string", "Name of the namespace", pattern=requests.NAME_RE.pattern),
            Parameter("team", "string", "Owning team", pattern=requests.TEAM_RE.pattern),
            Parameter("environment", "enum", "Target environment", choices=self.environments),
            Parameter(
                "networkPolicy",
                "enum",
                "Ingress isolation",
                required=False,
                choices=("isolated", "team-shared"),
                default=self.network_policy,
            ),
            Parameter("description", "string", "What the namespace is for", required=False, default=""),
            Parameter("costCenter", "string", "Cost center to charge", required=False, default=""),
            Parameter(
                "ttlHours",
                "integer",
                "Expire after this many hours",
                required=False,
                minimum=1,
                maximum=requests.MAX_TTL_HOURS,
            ),
        )

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "category": self.category,
            "resourceTier": self.tier,
            "features": list(self.features),
            "environments": list(self.environments),
            "parameters": [p.to_api() for p in self.parameters],
        }

    def request_body(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """The namespace request this template produces; raises ValidationFailed for bad parameters."""
        problems: dict[str, str] = {}
        known = {p.name for p in self.parameters}
        for key in params:
            if key not in known:
                problems[str(key)] = f"unknown parameter; this template takes {', '.join(sorted(known))}"
        values = {p.name: _check(p, params.get(p.name, p.default), problems) for p in self.parameters}
        if problems:
            raise errors.ValidationFailed(
                f"template {self.id} has {len(problems)} invalid parameter(s)", details=problems
            )
        body: dict[str, Any] = {
            "namespaceName": values["namespaceName"],
            "team": values["team"],
            "environment": values["environment"],
            "resourceTier": self.tier,
            "networkPolicy": values["networkPolicy"] or self.network_policy,
            "features": list(self.features),
            "description": values["description"] or f"From template {self.name}",
            "costCenter": values["costCenter"] or "",
        }
        if values["ttlHours"] is not None:
            body["ttl"] = f"{values['ttlHours']}h"
        return body


def _check(param: Parameter, value: Any, problems: dict[str, str]) -> Any:
    if value is None or value == "":
        if param.required:
            problems[param.name] = "is required"
        return None
    if param.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            problems[param.name] = "must be an integer"
            return None
        if (param.minimum is not None and value < param.minimum) or (
            param.maximum is not None and value > param.maximum
        ):
            problems[param.name] = f"must be between {param.minimum} and {param.maximum}"
            return None
        return value
    if not isinstance(value, str):
        problems[param.name] = "must be a string"
        return None
    if param.type == "enum" and value not in param.choices:
        problems[param.name] = f"must be one of {', '.join(param.choices)}"
        return None
    return value


TEMPLATES: tuple[Template, ...] = (
    Template(
        "basic-web-app",
        "Basic web application",
        "A web front end or small service with mesh and metrics.",
        "web",
        "small",
        ("istio-injection", "monitoring-enhanced"),
        ("development", "staging", "production"),
    ),
    Template(
        "microservice-api",
        "Microservice API",
        "A production API with a database and public ingress.",
        "api",
        "medium",
        ("istio-injection", "monitoring-enhanced", "database-access", "external-ingress"),
        ("staging", "production"),
    ),
    Template(
        "ml-workspace",
        "ML workspace",
        "GPU workspace for training and experiments, backed up nightly.",
        "data",
        "large",
        ("gpu-access", "monitoring-enhanced", "backup-enabled"),
        ("development", "staging"),
    ),
    Template(
        "data-pipeline",
        "Data pipeline",
        "Batch and streaming jobs with database access and backups.",
        "data",
        "medium",
        ("monitoring-enhanced", "backup-enabled", "database-access"),
        ("staging", "production"),
    ),
)
BY_ID = {t.id: t for t in TEMPLATES}


def get(template_id: str) -> Template:
    try:
        return BY_ID[template_id]
    except KeyError:
        raise errors.NotFound(f"no catalog template {template_id!r}", details={"id": "unknown template"}) from None


def categories() -> list[dict[str, Any]]:
    counts: dict[str, int] = {}
    for t in TEMPLATES:
        counts[t.category] = counts.get(t.category, 0) + 1
    return [{"id": c, "templates": n} for c, n in sorted(counts.items())]

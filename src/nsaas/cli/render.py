"""``nsaas render``: show the bundle a request would produce, offline.

No database, no cluster, no login: the request comes from flags or a file in the API's
camelCase shape, settings from the environment (all optional). The same validation as the API
runs (field rules, then platform policy with no other namespaces known), so a request that
renders here is one the API would accept as far as the request alone can tell. Every problem is
printed as ``field: message`` on stderr and the exit code is 2; a bundle goes to stdout as
multi-document YAML, byte-identical for identical input (the default request id is derived from
the namespace name), so it can be diffed and reviewed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, NoReturn

import pydantic
import typer
import yaml

from nsaas import config
from nsaas.bundle import render as bundle_render
from nsaas.domain import errors, policy, requests
from nsaas.services import bodies

INVALID_INPUT = 2
#: Namespace of the uuid5 default request ids: same name, same id, same YAML.
RENDER_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:nsaas:render")


def register(app: typer.Typer) -> None:
    app.command("render")(render_command)


def render_command(
    *,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Request as JSON or YAML (API shape)")] = None,
    name: Annotated[str | None, typer.Option(help="Namespace name")] = None,
    team: Annotated[str | None, typer.Option(help="Owning team")] = None,
    environment: Annotated[str | None, typer.Option(help="development, staging or production")] = None,
    tier: Annotated[str | None, typer.Option(help="micro, small, medium or large")] = None,
    network_policy: Annotated[str | None, typer.Option(help="isolated, team-shared or open")] = None,
    feature: Annotated[list[str] | None, typer.Option(help="A feature; repeat for several")] = None,
    description: Annotated[str | None, typer.Option(help="Free text, at most 500 characters")] = None,
    cost_center: Annotated[str | None, typer.Option(help="Cost center, at most 50 characters")] = None,
    ttl: Annotated[str | None, typer.Option(help='Expiry, e.g. "72h" or "7d"')] = None,
    request_id: Annotated[str | None, typer.Option(help="Request id label (default: derived from the name)")] = None,
    requested_by: Annotated[str, typer.Option(help="Recorded in the requested-by annotation")] = "cli",
) -> None:
    """Print the namespace bundle (Namespace, quota, policies, RBAC, ...) as YAML."""
    flags = {
        "namespaceName": name,
        "team": team,
        "environment": environment,
        "resourceTier": tier,
        "networkPolicy": network_policy,
        "features": feature or None,
        "description": description,
        "costCenter": cost_center,
        "ttl": ttl,
    }
    given = {key: value for key, value in flags.items() if value is not None}
    if file is not None and given:
        _fail({"--file": "cannot be combined with request flags (" + ", ".join(sorted(given)) + ")"})
    raw = _read(file) if file is not None else given
    settings = _settings()
    spec = _validate(raw, settings)
    try:
        bundle = bundle_render.render_bundle(
            spec, settings, request_id=request_id or _default_request_id(spec.name), requested_by=requested_by
        )
    except errors.NsaasError as exc:
        _fail({"bundle": exc.message, **exc.details}, code=1)
    typer.echo(bundle_render.to_yaml(bundle), nl=False)


def _default_request_id(name: str) -> str:
    return str(uuid.uuid5(RENDER_ID_NAMESPACE, name))


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
        return json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        _fail({str(path): f"cannot read the request: {exc}"})


def _settings() -> config.Settings:
    try:
        return config.Settings()
    except pydantic.ValidationError as exc:
        _fail({"settings." + ".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()})


def _validate(raw: Any, settings: config.Settings) -> requests.NamespaceSpec:
    try:
        spec = bodies.parse_spec(raw)
    except errors.ValidationFailed as exc:
        _fail(exc.details or {"request": exc.message})
    violations = policy.evaluate(spec, rules=settings.policy, context=policy.Context())
    if violations:
        _fail(violations)
    return spec


def _fail(problems: Mapping[str, str], *, code: int = INVALID_INPUT) -> NoReturn:
    for field, message in problems.items():
        typer.echo(f"{field}: {message}", err=True)
    raise typer.Exit(code)

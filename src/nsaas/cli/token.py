"""``nsaas token``: print a bearer token, for trying the product (personas) or for automation.

* ``nsaas token --persona NAME`` signs a dev persona's token with the dev key in ``NSAAS_DATA_DIR``.
  Dev login exists only in dev mode, and ``nsaas dev`` switches only its own process to it, so a
  second shell needs ``NSAAS_AUTH_MODE=dev`` or ``--dev`` (same data directory, same key). Outside
  dev mode the command refuses: a token nobody will accept is worse than an error.
* ``nsaas token --subject S --role R [--role R2]`` mints a platform service token (HS256) with
  ``NSAAS_AUTH__JWT_SECRET``; in dev mode without a secret it uses the one derived from the dev key,
  which is what ``nsaas dev`` verifies with.

The token is printed alone on the last line of stdout (``TOKEN=$(nsaas token ...)`` works); what
it is (roles, lifetime) goes to stderr. Problems are ``field: message`` lines on stderr, exit 2.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, NoReturn

import pydantic
import typer

from nsaas import config
from nsaas.adapters.auth import dev, platform_tokens
from nsaas.domain import errors

INVALID_INPUT = 2
SERVICE_TTL_SECONDS = 3600


def register(app: typer.Typer) -> None:
    app.command("token")(token_command)


def token_command(
    *,
    persona: Annotated[
        str | None, typer.Option(help="Dev persona: " + ", ".join(dev.PERSONAS) + " (dev mode only)")
    ] = None,
    subject: Annotated[str | None, typer.Option(help="Subject of a platform service token")] = None,
    role: Annotated[list[str] | None, typer.Option(help="A role of the service token; repeat for several")] = None,
    ttl: Annotated[int | None, typer.Option(help="Lifetime in seconds (persona: 12 h, service: 1 h)")] = None,
    dev_mode: Annotated[
        bool, typer.Option("--dev", help="Use dev mode and its key in NSAAS_DATA_DIR without NSAAS_AUTH_MODE=dev")
    ] = False,
) -> None:
    """Print a bearer token: a dev persona's, or a platform service token for automation."""
    if persona is not None and subject is None:
        if role:
            _fail({"--role": "belongs to --subject; a persona has fixed roles"})
        _persona_token(_settings(dev_mode=dev_mode), persona=persona, ttl=ttl or dev.DEFAULT_TTL_SECONDS)
    elif subject is not None and persona is None:
        _service_token(_settings(dev_mode=dev_mode), subject=subject, roles=role or [], ttl=ttl or SERVICE_TTL_SECONDS)
    else:
        _fail({"--persona/--subject": "give exactly one of them"})


def _persona_token(settings: config.Settings, *, persona: str, ttl: int) -> None:
    if not settings.dev_mode:
        _fail({"--persona": "dev personas exist only in dev mode: set NSAAS_AUTH_MODE=dev or pass --dev"})
    try:
        signer = dev.DevSigner.load_or_create(settings)
        token = signer.token_for(persona, ttl_seconds=ttl)
    except errors.NsaasError as exc:
        _fail({"--persona": exc.message, **exc.details})
    roles = ", ".join(sorted(dev.PERSONAS[persona].roles))
    typer.echo(f"dev persona {persona} ({roles}), valid {ttl} s, key {dev.key_path(settings)}", err=True)
    typer.echo(token)


def _service_token(settings: config.Settings, *, subject: str, roles: list[str], ttl: int) -> None:
    try:
        token = platform_tokens.mint(settings, subject=subject, roles=roles, ttl_seconds=ttl)
    except errors.NsaasError as exc:
        _fail({"token": exc.message, **exc.details})
    typer.echo(f"platform service token for {subject} ({', '.join(sorted(roles))}), valid {ttl} s", err=True)
    typer.echo(token)


def _settings(*, dev_mode: bool) -> config.Settings:
    try:
        settings = config.load()
    except pydantic.ValidationError as exc:
        _fail({".".join(str(part) for part in error["loc"]): error["msg"] for error in exc.errors()})
    return settings.model_copy(update={"auth_mode": "dev"}) if dev_mode else settings


def _fail(problems: Mapping[str, str]) -> NoReturn:
    for field, message in problems.items():
        typer.echo(f"{field}: {message}", err=True)
    raise typer.Exit(INVALID_INPUT)

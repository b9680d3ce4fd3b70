"""``nsaas login``, ``nsaas logout``, ``nsaas whoami``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from nsaas.cli.client import api, output, profile, session

ApiOption = Annotated[
    str | None, typer.Option("--api", help="Platform API URL (else NSAAS_API_URL, the config file, or :3000)")
]
OutputOption = Annotated[output.Format, typer.Option("--output", "-o", help="table, json or yaml")]


def register(app: typer.Typer) -> None:
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("whoami")(whoami)


def login(
    *,
    persona: Annotated[
        str | None, typer.Option(help="Dev mode: sign in as a persona (team-a-developer, platform-admin ...)")
    ] = None,
    tenant: Annotated[str | None, typer.Option(help="Azure AD tenant id (else NSAAS_CLI_TENANT_ID)")] = None,
    client_id: Annotated[
        str | None, typer.Option(help="The CLI's Azure AD client id (else NSAAS_CLI_CLIENT_ID)")
    ] = None,
    scope: Annotated[str | None, typer.Option(help="API scope (default api://<client id>/.default)")] = None,
    api_url: ApiOption = None,
) -> None:
    """Sign in: a dev persona with --persona, else the Azure AD device-code flow. The token is cached (0600)."""
    try:
        base = profile.api_url(api_url)
        if persona is not None:
            credentials = session.login_persona(base=base, persona=persona)
        else:
            tenant_id, client, api_scope = session.azure_settings(tenant=tenant, client_id=client_id, scope=scope)
            credentials = session.login_device_code(
                base=base,
                tenant=tenant_id,
                client_id=client,
                scope=api_scope,
                show=lambda text: typer.echo(text, err=True),
            )
        me = _me(api.Api(base_url=base, token=credentials.token))
        path = profile.save(credentials)
    except api.CliError as error:
        api.report(error)
    typer.echo(f"signed in to {base} as {me['name']} ({', '.join(me['roles'])}); token cached in {path}")


def logout() -> None:
    """Forget the cached login."""
    removed = profile.forget()
    typer.echo("signed out" if removed else "not signed in")


def whoami(api_url: ApiOption = None, fmt: OutputOption = output.Format.table) -> None:
    """Who the API thinks you are, and your roles."""
    try:
        me = _me(session.open_api(api_url))
    except api.CliError as error:
        api.report(error)
    output.emit(me, fmt)


def _me(client: api.Api) -> dict[str, Any]:
    try:
        data = client.call("GET", "/me").data
    finally:
        client.close()
    return {**data, "roles": list(data.get("roles", [])), "teams": list(data.get("teams", []))}

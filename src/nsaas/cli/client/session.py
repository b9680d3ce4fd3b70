"""Signing in: dev personas, the Azure AD device-code flow (MSAL), or ``NSAAS_TOKEN`` for CI.

A command gets its :class:`api.Api` from :func:`open_api`, which picks the token in this order:
``NSAAS_TOKEN``; the cached login for this API (an Azure AD token past its expiry is renewed
silently from the MSAL cache); otherwise none, and the API's 401 says to sign in.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import typer

from nsaas.cli.client import api, profile

if TYPE_CHECKING:
    import msal

AUTHORITY = "https://login.microsoftonline.com/{tenant}"
#: Renew this long before the token expires, so a command never starts with a dying token.
EXPIRY_MARGIN_SECONDS = 60


def open_api(api_flag: str | None) -> api.Api:
    base = profile.api_url(api_flag)
    return api.Api(base_url=base, token=token_for(base))


def run(api_url: str | None, action: Callable[[api.Api], int | None]) -> None:
    """Open the API, run ``action``, report a failure readably and exit with the documented code."""
    code: int | None = None
    try:
        client = open_api(api_url)
        try:
            code = action(client)
        finally:
            client.close()
    except api.CliError as error:
        api.report(error)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    if code:
        raise typer.Exit(code)


def token_for(base: str) -> str | None:
    if os.environ.get("NSAAS_TOKEN"):
        return os.environ["NSAAS_TOKEN"].strip()
    cached = profile.load()
    if cached is None or cached.api != base:
        return None
    if cached.expires_at - EXPIRY_MARGIN_SECONDS > time.time():
        return cached.token
    if cached.kind == "azure-ad":
        renewed = _renew_azure(cached)
        if renewed is not None:
            return renewed.token
    api.fail(
        f"your login to {base} expired; sign in again with `nsaas login"
        + (f" --persona {cached.persona}`" if cached.persona else "`"),
        api.NOT_SIGNED_IN,
    )


def login_persona(*, base: str, persona: str) -> profile.Credentials:
    """Sign a dev persona's token with the dev key of ``NSAAS_DATA_DIR`` (the one ``nsaas dev`` uses)."""
    from nsaas import config  # only dev sign-in needs the platform's settings and key handling
    from nsaas.adapters.auth import dev

    settings = config.Settings(auth_mode="dev")
    if persona not in dev.PERSONAS:
        api.fail("unknown persona", api.INVALID_INPUT, {"--persona": "one of " + ", ".join(dev.PERSONAS)})
    key = dev.key_path(settings)
    if not key.exists():
        api.fail(
            f"no dev key at {key}: personas exist only against `nsaas dev`; run this with its NSAAS_DATA_DIR",
            api.INVALID_INPUT,
            {"NSAAS_DATA_DIR": str(settings.data_dir)},
        )
    token = dev.DevSigner.load_or_create(settings).token_for(persona)
    return profile.Credentials(
        api=base, kind="dev", token=token, expires_at=time.time() + dev.DEFAULT_TTL_SECONDS, persona=persona
    )


def azure_settings(*, tenant: str | None, client_id: str | None, scope: str | None) -> tuple[str, str, str]:
    """Tenant, public client id and API scope from flags, ``NSAAS_CLI_*`` or the config file; all named if missing."""
    azure = profile.config_file().get("azure") or {}
    tenant = tenant or os.environ.get("NSAAS_CLI_TENANT_ID") or azure.get("tenantId")
    client_id = client_id or os.environ.get("NSAAS_CLI_CLIENT_ID") or azure.get("clientId")
    scope = scope or os.environ.get("NSAAS_CLI_SCOPE") or azure.get("scope")
    missing = {
        name: f"set {flag}, {env} or azure.{key} in {profile.config_dir() / 'config.yaml'}"
        for name, value, flag, env, key in (
            ("tenant", tenant, "--tenant", "NSAAS_CLI_TENANT_ID", "tenantId"),
            ("client id", client_id, "--client-id", "NSAAS_CLI_CLIENT_ID", "clientId"),
        )
        if not value
    }
    if missing:
        api.fail("Azure AD sign-in needs the tenant and the CLI's client id", api.INVALID_INPUT, missing)
    assert tenant is not None
    assert client_id is not None
    return str(tenant), str(client_id), str(scope or f"api://{client_id}/.default")


def _application(tenant: str, client_id: str) -> tuple[msal.PublicClientApplication, msal.SerializableTokenCache]:
    import msal  # imports requests and more: only Azure AD sign-in pays for it

    cache = msal.SerializableTokenCache()
    path = profile.config_dir() / profile.MSAL_CACHE
    if path.exists():
        cache.deserialize(path.read_text(encoding="utf-8"))
    app = msal.PublicClientApplication(client_id, authority=AUTHORITY.format(tenant=tenant), token_cache=cache)
    return app, cache


def _keep(cache: msal.SerializableTokenCache) -> None:
    if cache.has_state_changed:
        profile.write_private(profile.config_dir() / profile.MSAL_CACHE, cache.serialize())


def login_device_code(*, base: str, tenant: str, client_id: str, scope: str, show: Any) -> profile.Credentials:
    """Azure AD device-code flow: ``show`` prints the code and URL; blocks until the user signed in."""
    app, cache = _application(tenant, client_id)
    flow = app.initiate_device_flow(scopes=[scope])
    if "user_code" not in flow:
        api.fail(f"Azure AD refused to start the sign-in: {flow.get('error_description', flow)}", api.NOT_SIGNED_IN)
    show(flow["message"])
    result = app.acquire_token_by_device_flow(flow)
    _keep(cache)
    return _credentials(base, result, tenant=tenant, client_id=client_id, scope=scope)


def _credentials(base: str, result: dict[str, Any], *, tenant: str, client_id: str, scope: str) -> profile.Credentials:
    if "access_token" not in result:
        api.fail(f"Azure AD sign-in failed: {result.get('error_description', result.get('error'))}", api.NOT_SIGNED_IN)
    account = (result.get("id_token_claims") or {}).get("preferred_username")
    return profile.Credentials(
        api=base,
        kind="azure-ad",
        token=result["access_token"],
        expires_at=time.time() + float(result.get("expires_in", 3600)),
        account=f"{account}|{tenant}|{client_id}|{scope}",
    )


def _renew_azure(cached: profile.Credentials) -> profile.Credentials | None:
    """A fresh access token from the MSAL cache (refresh token), or None if the user must sign in again."""
    username, tenant, client_id, scope = (cached.account or "|||").split("|", 3)
    if not (tenant and client_id and scope):
        return None
    app, cache = _application(tenant, client_id)
    accounts = app.get_accounts(username=username or None)
    if not accounts:
        return None
    result = app.acquire_token_silent([scope], account=accounts[0])
    _keep(cache)
    if not result or "access_token" not in result:
        return None
    renewed = _credentials(cached.api, result, tenant=tenant, client_id=client_id, scope=scope)
    profile.save(renewed)
    return renewed

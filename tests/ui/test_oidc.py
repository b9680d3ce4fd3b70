"""Signing in with OpenID Connect (Azure AD in production) against a local provider on loopback."""

from __future__ import annotations

import secrets
import urllib.parse
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from nsaas import config
from nsaas.adapters.db.ui_sessions import SessionRows
from nsaas.ui import app as ui_app
from tests.support import oidc

API = "http://api.test"


@pytest.fixture(autouse=True)
def reset(provider: oidc.OidcProvider) -> None:
    provider.access_lifetime, provider.refuse_refresh = 3600, False
    provider.id_token_overrides.clear()
    provider.token_requests.clear()


class Api:
    """The API as far as login needs it: accepts the provider's access tokens and says who they are."""

    def __init__(self, provider: oidc.OidcProvider) -> None:
        self.provider = provider
        self.tokens_seen: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.tokens_seen.append(token)
        status, body = oidc.platform_answer(self.provider, token, request.url.path)
        return httpx.Response(status, json=body)


@pytest.fixture
def api(provider: oidc.OidcProvider) -> Api:
    return Api(provider)


@pytest.fixture
async def ui(provider: oidc.OidcProvider, api: Api) -> AsyncIterator[httpx.AsyncClient]:
    settings = config.Settings(
        auth_mode="azure-ad",
        auth=config.AuthSettings(azure_client_id=oidc.CLIENT_ID, azure_discovery_url=provider.discovery_url),
        ui=config.UiSettings(
            public_url="http://ui.test",
            session_secret=SecretStr(secrets.token_urlsafe(40)),
            ui_client_secret=SecretStr(oidc.CLIENT_SECRET),
        ),
    )
    async with httpx.AsyncClient(mounts={"all://api.test": httpx.MockTransport(api.handle)}) as backend:
        app = ui_app.create_app(
            settings, api_url=API, http_client=backend, session_rows=SessionRows.from_settings(settings)
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ui.test") as client:
                yield client


async def authorize(ui: httpx.AsyncClient, next_url: str = "/") -> tuple[dict[str, str], str]:
    """Start a login and let the provider approve it; the authorization query and the callback URL."""
    start = await ui.get("/login", params={"next": next_url})
    assert start.status_code == 303
    location = start.headers["Location"]
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    async with httpx.AsyncClient() as browser:
        approved = await browser.get(location)
    assert approved.status_code == 302
    return query, approved.headers["Location"]


async def test_signing_in_uses_the_code_flow_with_pkce_state_and_nonce(
    ui: httpx.AsyncClient, provider: oidc.OidcProvider, api: Api
) -> None:
    query, callback = await authorize(ui, next_url="/namespaces")
    assert query["response_type"] == "code"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) >= 43
    assert query["state"]
    assert query["nonce"]
    assert f"api://{oidc.CLIENT_ID}/.default" in query["scope"].split()
    assert callback.startswith("http://ui.test/auth/callback?")
    done = await ui.get(callback.removeprefix("http://ui.test"))
    assert done.status_code == 303
    assert done.headers["Location"] == "/namespaces"
    redeemed = provider.token_requests[-1]
    assert redeemed["grant_type"] == "authorization_code"
    assert redeemed["code_verifier"]
    assert redeemed["client_secret"] == oidc.CLIENT_SECRET
    home = await ui.get("/")
    assert "Hello, Olivia OIDC" in home.text
    assert api.tokens_seen[-1] in provider.issued_access  # the API is called with the user's access token


async def test_a_callback_with_a_forged_state_is_refused(ui: httpx.AsyncClient) -> None:
    _, callback = await authorize(ui)
    forged = callback.replace("state=", "state=forged")
    answer = await ui.get(forged.removeprefix("http://ui.test"))
    assert answer.status_code == 401
    assert "state mismatch" in answer.text
    assert (await ui.get("/")).status_code == 303


async def test_an_id_token_for_another_client_is_refused(ui: httpx.AsyncClient, provider: oidc.OidcProvider) -> None:
    provider.id_token_overrides["aud"] = "someone-else"
    _, callback = await authorize(ui)
    answer = await ui.get(callback.removeprefix("http://ui.test"))
    assert answer.status_code == 401
    assert "ID token is not valid" in answer.text


async def test_an_id_token_replayed_from_another_login_is_refused(
    ui: httpx.AsyncClient, provider: oidc.OidcProvider
) -> None:
    provider.id_token_overrides["nonce"] = "nonce-of-another-login"
    _, callback = await authorize(ui)
    answer = await ui.get(callback.removeprefix("http://ui.test"))
    assert answer.status_code == 401
    assert "nonce mismatch" in answer.text


async def test_a_token_about_to_expire_is_refreshed_before_calling_the_api(
    ui: httpx.AsyncClient, provider: oidc.OidcProvider, api: Api
) -> None:
    provider.access_lifetime = 30  # inside the renewal window
    _, callback = await authorize(ui)
    await ui.get(callback.removeprefix("http://ui.test"))
    first = provider.issued_access[-1]
    page = await ui.get("/namespaces")
    assert page.status_code == 200
    assert provider.token_requests[-1]["grant_type"] == "refresh_token"
    assert api.tokens_seen[-1] == provider.issued_access[-1] != first


async def test_a_refused_refresh_ends_the_session(ui: httpx.AsyncClient, provider: oidc.OidcProvider) -> None:
    provider.access_lifetime = 30
    _, callback = await authorize(ui)
    await ui.get(callback.removeprefix("http://ui.test"))
    provider.refuse_refresh = True
    answer = await ui.get("/namespaces")
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith("/login?next=")

"""Security properties a user (or an attacker) would notice: headers, CSRF, no inline code, secrets."""

from __future__ import annotations

import re

import httpx
import pytest

from nsaas import config
from nsaas.adapters.db.ui_sessions import SessionRows
from nsaas.domain import errors
from nsaas.ui import app as ui_app
from tests.ui import fake_api
from tests.ui.conftest import SignIn

INLINE_STYLE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
PAGES = (
    "/",
    "/namespaces",
    "/namespaces/alpha",
    "/request",
    "/catalog",
    "/teams",
    "/approvals",
    "/analytics",
    "/audit",
)


async def test_every_page_sends_a_strict_content_security_policy(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    await sign_in("platform-admin")
    for path in (*PAGES, "/login", "/healthz", "/static/app.css"):
        answer = await ui.get(path)
        csp = answer.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp, path
        assert "frame-ancestors 'none'" in csp, path
        assert "unsafe-inline" not in csp, path
        assert "unsafe-eval" not in csp, path
        assert answer.headers["X-Content-Type-Options"] == "nosniff", path
        assert answer.headers["Referrer-Policy"] == "strict-origin-when-cross-origin", path


async def test_pages_carry_no_inline_script_or_style_attribute(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    await sign_in("platform-admin")
    for path in PAGES:
        html = (await ui.get(path)).text
        assert not INLINE_STYLE.search(html), f"{path} has a style attribute"
        for attributes in SCRIPT_TAG.findall(html):
            assert "src=" in attributes or 'type="application/json"' in attributes, f"{path} has an inline script"


async def test_hsts_is_sent_only_when_the_public_url_is_https(dev_settings: config.Settings) -> None:
    for public_url, expected in (("https://portal.example.com", True), ("http://127.0.0.1:8080", False)):
        settings = dev_settings.model_copy(update={"ui": config.UiSettings(public_url=public_url)})
        app = ui_app.create_app(settings, api_url="http://api.test", session_rows=SessionRows.from_settings(settings))
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://ui.test") as client,
        ):
            answer = await client.get("/healthz")
        assert ("Strict-Transport-Security" in answer.headers) is expected, public_url


async def test_a_post_without_the_csrf_token_is_refused_and_never_reaches_the_api(
    ui: httpx.AsyncClient, sign_in: SignIn, api: fake_api.FakeApi
) -> None:
    await sign_in("team-a-developer")
    answer = await ui.post("/namespaces/alpha/decommission", data={"confirm": "alpha"})
    assert answer.status_code == 403
    assert "Form expired" in answer.text
    forged = await ui.post("/namespaces/alpha/decommission", data={"confirm": "alpha", "csrf_token": "forged"})
    assert forged.status_code == 403
    assert api.calls("DELETE", "/namespaces/alpha") == []
    assert api.namespaces["alpha"]["status"] == "ready"


async def test_an_htmx_post_is_accepted_with_the_csrf_header(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    csrf = await sign_in("team-a-developer")
    answer = await ui.post(
        "/request/preview", data={"namespaceName": "x"}, headers={"X-CSRF-Token": csrf, "HX-Request": "true"}
    )
    assert answer.status_code == 200
    refused = await ui.post("/request/preview", data={"namespaceName": "x"}, headers={"HX-Request": "true"})
    assert refused.status_code == 403


async def test_the_login_form_itself_needs_the_csrf_token(ui: httpx.AsyncClient) -> None:
    await ui.get("/login")
    answer = await ui.post("/login/dev", data={"persona": "platform-admin"})
    assert answer.status_code == 403
    assert (await ui.get("/", follow_redirects=False)).status_code == 303


async def test_the_session_cookie_is_httponly_and_samesite_lax(ui: httpx.AsyncClient) -> None:
    answer = await ui.get("/login")
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http in this test; https public URLs add it


async def test_signing_out_ends_the_session_on_the_server(ui: httpx.AsyncClient, sign_in: SignIn) -> None:
    csrf = await sign_in("team-a-developer")
    stolen = dict(ui.cookies)
    answer = await ui.post("/logout", data={"csrf_token": csrf})
    assert answer.headers["Location"] == "/signed-out"
    ui.cookies.clear()
    ui.cookies.update(stolen)  # replaying the old cookie must not work
    assert (await ui.get("/")).status_code == 303


def test_the_ui_refuses_to_start_outside_dev_mode_without_its_secrets() -> None:
    settings = config.Settings(auth_mode="azure-ad", auth=config.AuthSettings(azure_tenant_id="t"))
    with pytest.raises(errors.ConfigurationError) as refused:
        ui_app.create_app(settings, session_rows=SessionRows.from_settings(settings))
    assert "NSAAS_UI__SESSION_SECRET" in refused.value.details
    assert "NSAAS_UI__UI_CLIENT_SECRET" in refused.value.details


async def test_a_login_redirect_never_leaves_the_portal(ui: httpx.AsyncClient) -> None:
    page = await ui.get("/login", params={"next": "https://evil.example/steal"})
    assert 'name="next" value="/"' in page.text
    page = await ui.get("/login", params={"next": "//evil.example"})
    assert 'name="next" value="/"' in page.text

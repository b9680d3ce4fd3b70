"""Fixtures of the UI's unit tests: the UI app in dev mode in front of the in-memory fake API."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from nsaas import config
from nsaas.adapters.auth import dev
from nsaas.adapters.db.ui_sessions import SessionRows
from nsaas.ui import app as ui_app
from tests.support import oidc
from tests.ui import fake_api

API = "http://api.test"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')

SignIn = Callable[[str], Awaitable[str]]


@pytest.fixture(scope="session")
def dev_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One dev signing key for the whole session (generating RSA keys per test is slow)."""
    return tmp_path_factory.mktemp("ui-dev-data")


@pytest.fixture
def dev_settings(dev_data_dir: Path) -> config.Settings:
    return config.Settings(auth_mode="dev", data_dir=dev_data_dir)


@pytest.fixture
def api() -> fake_api.FakeApi:
    return fake_api.FakeApi()


@pytest.fixture
async def ui(dev_settings: config.Settings, api: fake_api.FakeApi) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client of the UI (keeps cookies, does not follow redirects)."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(api.handle)) as backend:
        app = ui_app.create_app(
            dev_settings,
            api_url=API,
            http_client=backend,
            session_rows=SessionRows.from_settings(dev_settings),
            persona_tokens=dev.persona_tokens(dev_settings),
        )
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://ui.test") as client:
                yield client


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


@pytest.fixture
def sign_in(ui: httpx.AsyncClient) -> SignIn:
    """Sign in as a dev persona through the login page; returns the session's CSRF token."""

    async def go(persona: str) -> str:
        page = await ui.get("/login")
        answer = await ui.post("/login/dev", data={"persona": persona, "next": "/", "csrf_token": csrf_of(page.text)})
        assert answer.status_code == 303, answer.text
        home = await ui.get("/namespaces")
        return csrf_of(home.text)

    return go


@pytest.fixture(scope="module")
def provider() -> Iterator[oidc.OidcProvider]:
    """The local OpenID Connect provider (standing in for Azure AD), running for the module."""
    running = oidc.OidcProvider()
    running.start()
    yield running
    running.stop()

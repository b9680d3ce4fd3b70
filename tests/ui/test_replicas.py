"""Two UI processes behind a round-robin proxy: sign-in and a journey with every request alternating.

Sessions, OIDC state, nonce and PKCE verifier live in the shared database, so a login that starts
on one replica completes on the other, and signing out on one ends the session on both (a copied
cookie is refused by each replica afterwards).
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import httpx
import pytest

from nsaas.adapters.db import database as db_module
from tests.support import oidc
from tests.ui import replicas

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
async def migrated_database_url(database_url: str) -> str:
    """A migrated database the replica processes share (a database of its own on PostgreSQL)."""
    await _migrate(database_url)
    return database_url


async def _migrate(url: str) -> None:
    database = db_module.Database.create(url)
    try:
        await database.upgrade()
    finally:
        await database.dispose()


@pytest.mark.slow
async def test_sign_in_a_journey_and_sign_out_work_with_every_request_on_the_other_replica(
    provider: oidc.OidcProvider, migrated_database_url: str, tmp_path: Path
) -> None:
    async with replicas.ui_fleet(provider=provider, database_url=migrated_database_url, data_dir=tmp_path) as fleet:
        public, proxy, _ = fleet
        async with httpx.AsyncClient(base_url=public) as browser:
            start = await browser.get("/login", params={"next": "/namespaces"})
            assert start.status_code == 303
            async with httpx.AsyncClient() as to_provider:
                approved = await to_provider.get(start.headers["Location"])
            callback = approved.headers["Location"]
            assert callback.startswith(f"{public}/auth/callback?")
            done = await browser.get(callback.removeprefix(public))
            assert done.status_code == 303, done.text
            assert done.headers["Location"] == "/namespaces"
            page = await browser.get("/namespaces")
            assert page.status_code == 200
            home = await browser.get("/")
            assert "Hello, Olivia OIDC" in home.text
            csrf = CSRF_RE.search(home.text)
            assert csrf is not None
            stolen = dict(browser.cookies)
            out = await browser.post("/logout", data={"csrf_token": csrf.group(1)})
            assert out.status_code == 303
            ended = urllib.parse.urlsplit(out.headers["Location"])
            assert f"{ended.scheme}://{ended.netloc}{ended.path}" == f"{provider.base_url}/logout"
            query = dict(urllib.parse.parse_qsl(ended.query))
            assert query == {"client_id": oidc.CLIENT_ID, "post_logout_redirect_uri": f"{public}/signed-out"}
            after = await browser.get("/")
            assert after.status_code == 303
            assert after.headers["Location"].startswith("/login")
        for _ in range(2):  # a copy of the signed-out cookie, once on each replica: the session is gone
            async with httpx.AsyncClient(base_url=public, cookies=stolen) as thief:
                assert (await thief.get("/namespaces")).status_code == 303
        assert [replica for replica, *_ in proxy.served] == [0, 1, 0, 1, 0, 1, 0, 1], proxy.served
        assert [status for *_, status in proxy.served] == [303, 303, 200, 200, 303, 303, 303, 303]

"""The CLI's local behaviour: API address precedence, private files, kubeconfig merging, error mapping."""

from __future__ import annotations

import stat
from pathlib import Path

import httpx
import pytest
import yaml

from nsaas.cli.client import api, kubeconfig, profile, session


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NSAAS_CONFIG_DIR", str(tmp_path / "cfg"))
    for name in ("NSAAS_API_URL", "NSAAS_TOKEN", "NSAAS_CLI_TENANT_ID", "NSAAS_CLI_CLIENT_ID", "NSAAS_CLI_SCOPE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "cfg"


def test_the_api_address_comes_from_the_flag_then_the_environment_then_the_config_file(
    config_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert profile.api_url(None) == "http://127.0.0.1:3000"
    config_dir.mkdir()
    (config_dir / "config.yaml").write_text("api: https://nsaas.example/\n")
    assert profile.api_url(None) == "https://nsaas.example"
    monkeypatch.setenv("NSAAS_API_URL", "https://env.example")
    assert profile.api_url(None) == "https://env.example"
    assert profile.api_url("https://flag.example") == "https://flag.example"


def test_credentials_are_private_and_only_used_for_their_api(config_dir: Path) -> None:
    saved = profile.save(profile.Credentials(api="https://a.example", kind="dev", token="t-1", expires_at=4e9))
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert stat.S_IMODE(config_dir.stat().st_mode) == 0o700
    assert session.token_for("https://a.example") == "t-1"
    assert session.token_for("https://b.example") is None
    assert profile.forget()
    assert session.token_for("https://a.example") is None


def test_an_expired_dev_login_says_how_to_sign_in_again() -> None:
    profile.save(profile.Credentials(api="https://a.example", kind="dev", token="t", expires_at=1, persona="viewer"))
    with pytest.raises(api.CliError) as raised:
        session.token_for("https://a.example")
    assert raised.value.code == api.NOT_SIGNED_IN
    assert "nsaas login --persona viewer" in raised.value.message


def test_nsaas_token_wins_over_a_cached_login(monkeypatch: pytest.MonkeyPatch) -> None:
    profile.save(profile.Credentials(api="https://a.example", kind="dev", token="cached", expires_at=4e9))
    monkeypatch.setenv("NSAAS_TOKEN", "from-ci\n")
    assert session.token_for("https://a.example") == "from-ci"


def test_azure_sign_in_names_every_missing_setting() -> None:
    with pytest.raises(api.CliError) as raised:
        session.azure_settings(tenant=None, client_id=None, scope=None)
    assert set(raised.value.details) == {"tenant", "client id"}
    assert session.azure_settings(tenant="t", client_id="c", scope=None) == ("t", "c", "api://c/.default")


def test_connecting_adds_a_context_and_keeps_the_others_and_the_current_one(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(
        yaml.safe_dump(
            {
                "clusters": [{"name": "prod", "cluster": {"server": "https://prod"}}],
                "users": [{"name": "me", "user": {"token": "x"}}],
                "contexts": [{"name": "prod", "context": {"cluster": "prod", "user": "me"}}],
                "current-context": "prod",
            }
        )
    )
    for server in ("https://old", "https://new"):
        kubeconfig.merge(
            path,
            {
                "clusters": [{"name": "dev-demo", "cluster": {"server": server}}],
                "users": [{"name": "dev-demo", "user": {"token": "y"}}],
                "contexts": [{"name": "demo", "context": {"cluster": "dev-demo", "user": "dev-demo"}}],
                "current-context": "demo",
            },
        )
    merged = yaml.safe_load(path.read_text())
    assert [c["name"] for c in merged["contexts"]] == ["prod", "demo"]
    assert [c["cluster"]["server"] for c in merged["clusters"]] == ["https://prod", "https://new"]
    assert merged["current-context"] == "prod"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, 2), (422, 2), (401, 3), (403, 4), (404, 5), (409, 6), (412, 6), (429, 7), (500, 7), (503, 7)],
)
def test_api_answers_map_to_the_documented_exit_codes(status: int, code: int) -> None:
    body = {"success": False, "error": "x", "message": "refused", "details": {"team": "read only"}}
    transport = httpx.MockTransport(lambda request: httpx.Response(status, json=body))
    client = api.Api(base_url="http://api.test", token="t", transport=transport)
    with pytest.raises(api.CliError) as raised:
        client.call("GET", "/namespaces")
    assert raised.value.code == code
    assert raised.value.details == {"team": "read only"}


class FakeMsal:
    """Stands in for msal.PublicClientApplication: the device flow and the silent refresh."""

    def __init__(self) -> None:
        self.scopes: list[str] = []

    def initiate_device_flow(self, *, scopes: list[str]) -> dict[str, str]:
        self.scopes = scopes
        return {
            "user_code": "ABCD-1234",
            "message": "To sign in, open https://microsoft.com/devicelogin and enter ABCD-1234",
        }

    def acquire_token_by_device_flow(self, flow: dict[str, str]) -> dict[str, object]:
        assert flow["user_code"] == "ABCD-1234"
        return {
            "access_token": "aad-1",
            "expires_in": 3600,
            "id_token_claims": {"preferred_username": "ada@example.com"},
        }

    def get_accounts(self, *, username: str | None) -> list[dict[str, str]]:
        return [{"username": username or ""}]

    def acquire_token_silent(self, scopes: list[str], *, account: dict[str, str]) -> dict[str, object]:
        assert scopes == self.scopes
        return {"access_token": "aad-2", "expires_in": 3600}


class FakeCache:
    has_state_changed = False


def test_device_code_login_shows_the_code_and_renews_silently(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeMsal()
    monkeypatch.setattr(session, "_application", lambda tenant, client_id: (fake, FakeCache()))
    shown: list[str] = []
    credentials = session.login_device_code(
        base="https://a.example", tenant="t", client_id="c", scope="api://c/.default", show=shown.append
    )
    assert shown == ["To sign in, open https://microsoft.com/devicelogin and enter ABCD-1234"]
    assert fake.scopes == ["api://c/.default"]
    assert (credentials.kind, credentials.token) == ("azure-ad", "aad-1")
    expired = profile.Credentials(
        api=credentials.api, kind=credentials.kind, token="old", expires_at=1, account=credentials.account
    )
    profile.save(expired)
    assert session.token_for("https://a.example") == "aad-2"
    renewed = profile.load()
    assert renewed is not None
    assert renewed.token == "aad-2"

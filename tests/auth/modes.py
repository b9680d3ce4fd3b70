"""Settings for each authentication mode the tests run in, and a clock the tests move by hand."""

from __future__ import annotations

from pathlib import Path

from nsaas import config
from tests.auth import provider as local

GROUP_ROLES = {
    "group-team-a-dev": ["team:team-a:developer"],
    "group-platform-admins": ["platform:admin"],
}
JWT_SECRET = "s" * 40


class FakeClock:
    """Monotonic time for cache expiry and refetch rate limits (token ``exp`` still uses real time)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def azure(provider: local.LocalProvider, data_dir: Path, **auth: object) -> config.Settings:
    fields: dict[str, object] = {
        "azure_tenant_id": local.TENANT,
        "azure_client_id": local.CLIENT_ID,
        "azure_discovery_url": provider.discovery_url,
        "group_roles": GROUP_ROLES,
        "jwt_secret": JWT_SECRET,
        **auth,
    }
    return config.Settings(auth_mode="azure-ad", data_dir=data_dir, auth=config.AuthSettings.model_validate(fields))


def dev(data_dir: Path, **auth: object) -> config.Settings:
    return config.Settings(auth_mode="dev", data_dir=data_dir, auth=config.AuthSettings.model_validate(auth))

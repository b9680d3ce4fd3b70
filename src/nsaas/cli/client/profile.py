"""Where the CLI keeps its settings and credentials, and which API it talks to.

* The API address: ``--api``, else ``NSAAS_API_URL``, else ``api`` in the config file, else
  ``http://127.0.0.1:3000`` (what ``nsaas dev`` serves).
* The config directory: ``NSAAS_CONFIG_DIR``, else the user's config dir (``~/.config/nsaas`` on
  Linux, following ``XDG_CONFIG_HOME``). It holds ``config.yaml`` (``api``, ``azure.tenantId``,
  ``azure.clientId``, ``azure.scope``), ``credentials.json`` and the MSAL token cache, the last
  two created with mode 0600 in a 0700 directory: they are bearer credentials.
* The token: ``NSAAS_TOKEN`` (CI: a platform service token) wins over the cached login.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
import yaml

DEFAULT_API = "http://127.0.0.1:3000"
CREDENTIALS = "credentials.json"
MSAL_CACHE = "msal-cache.json"


def config_dir() -> Path:
    override = os.environ.get("NSAAS_CONFIG_DIR")
    return Path(override) if override else Path(typer.get_app_dir("nsaas"))


def config_file() -> dict[str, Any]:
    path = config_dir() / "config.yaml"
    if not path.exists():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded if isinstance(loaded, dict) else {}


def api_url(flag: str | None) -> str:
    chosen = flag or os.environ.get("NSAAS_API_URL") or config_file().get("api") or DEFAULT_API
    return str(chosen).rstrip("/")


def write_private(path: Path, text: str) -> None:
    """Write ``text`` readable by the owner only (0600), replacing the file atomically."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


@dataclass(frozen=True, slots=True)
class Credentials:
    """A cached login: which API, how (``dev`` persona or ``azure-ad``), the bearer token and its expiry."""

    api: str
    kind: str
    token: str
    expires_at: float
    persona: str | None = None
    account: str | None = None

    def to_json(self) -> str:
        return json.dumps(
            {
                "api": self.api,
                "kind": self.kind,
                "token": self.token,
                "expiresAt": self.expires_at,
                "persona": self.persona,
                "account": self.account,
            },
            indent=2,
        )


def save(credentials: Credentials) -> Path:
    path = config_dir() / CREDENTIALS
    write_private(path, credentials.to_json())
    return path


def load() -> Credentials | None:
    path = config_dir() / CREDENTIALS
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(
            api=str(raw["api"]),
            kind=str(raw["kind"]),
            token=str(raw["token"]),
            expires_at=float(raw["expiresAt"]),
            persona=raw.get("persona"),
            account=raw.get("account"),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def forget() -> bool:
    """Delete the cached login and token cache; True if there was anything to delete."""
    removed = False
    for name in (CREDENTIALS, MSAL_CACHE):
        path = config_dir() / name
        if path.exists():
            path.unlink()
            removed = True
    return removed

"""What the UI process holds for its whole life: settings, one HTTP client, sessions, templates.

It lives on ``app.state.ui``; routes reach it through :func:`of`. Nothing here is per user: the
user's token is in their server-side session and is attached per API call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from fastapi.templating import Jinja2Templates
from starlette.requests import HTTPConnection

from nsaas import config
from nsaas.ui import filters, oidc, sessions

PersonaTokens = Callable[[str], tuple[str, float]]
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@dataclass(slots=True)
class UiState:
    settings: config.Settings
    api_url: str
    http: httpx.AsyncClient
    store: sessions.MemoryStore
    templates: Jinja2Templates
    oidc: oidc.OidcClient | None
    #: Dev mode: persona name -> (token, expiry); given by whoever builds the app (it owns the key).
    persona_tokens: PersonaTokens | None = None

    @property
    def dev_mode(self) -> bool:
        return self.settings.dev_mode


def templates() -> Jinja2Templates:
    engine = Jinja2Templates(directory=str(TEMPLATES))
    filters.install(engine.env)
    return engine


def of(connection: HTTPConnection) -> UiState:
    found = getattr(connection.app.state, "ui", None)
    if not isinstance(found, UiState):
        raise RuntimeError("the UI state is not initialised (create_app installs it)")
    return found

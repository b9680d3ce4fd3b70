"""``nsaas ui``: the Platform UI process (server-rendered BFF calling the Platform API over HTTP)."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from nsaas import config, logs, tracing
from nsaas.adapters.auth import dev
from nsaas.adapters.db import ui_sessions
from nsaas.api import server
from nsaas.domain import errors
from nsaas.ui import app as ui_app


def register(app: typer.Typer) -> None:
    app.command("ui")(ui)


def ui(
    host: Annotated[str, typer.Option(help="Address to bind")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="Port")] = 8080,
    api_url: Annotated[str | None, typer.Option(help="Platform API base URL (default NSAAS_UI__API_URL)")] = None,
) -> None:
    """The Platform UI; refuses to start outside dev mode without its session and client secrets."""
    settings = config.Settings()
    logs.configure(level=settings.log_level, json=settings.log_json)
    tracing.configure(settings, component="ui")
    try:
        tokens = dev.persona_tokens(settings) if settings.dev_mode else None
        application = ui_app.create_app(
            settings,
            api_url=api_url,
            session_rows=ui_sessions.SessionRows.from_settings(settings),
            persona_tokens=tokens,
        )
    except errors.ConfigurationError as exc:
        typer.echo(f"nsaas: {exc.message}", err=True)
        raise typer.Exit(2) from None
    config_ = server.uvicorn_config(application, host=host, port=port, settings=settings.server, proxy_headers=True)
    uvicorn.Server(config_).run()

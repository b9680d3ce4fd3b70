"""``nsaas db upgrade``: bring the database schema to the newest migration.

Production runs it once per release (a Kubernetes Job or init container) before the API and
workers start; ``nsaas dev`` does the same at start-up on the embedded SQLite file.
"""

from __future__ import annotations

import asyncio

import typer
from sqlalchemy import make_url

from nsaas import config, logs
from nsaas.adapters.db import database
from nsaas.domain import errors

db_app = typer.Typer(name="db", help="Database schema management.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app)


@db_app.command("upgrade")
def upgrade(revision: str = typer.Option("head", help="Alembic revision to upgrade to")) -> None:
    """Apply every pending migration to NSAAS_DATABASE_URL (or the SQLite file under NSAAS_DATA_DIR)."""
    settings = config.load()
    logs.configure(level=settings.log_level, json=settings.log_json)
    try:
        asyncio.run(_upgrade(settings, revision=revision))
    except errors.NsaasError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"database schema is at {revision}: {_safe_url(settings)}")


async def _upgrade(settings: config.Settings, *, revision: str) -> None:
    db = database.Database.from_settings(settings)
    try:
        await db.wait_until_ready(within=settings.database.startup_wait_seconds)
        await db.upgrade(revision)
    finally:
        await db.dispose()


def _safe_url(settings: config.Settings) -> str:
    """The database URL without its password, fit for a terminal or a log."""
    return make_url(settings.resolved_database_url()).render_as_string(hide_password=True)

"""``nsaas dev``: the whole platform in one process for trying it out (``make run``)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command("dev")(dev)


def dev(
    api_port: int = typer.Option(3000, help="Platform API port"),
    ui_port: int = typer.Option(8080, help="Platform UI port"),
    engine: str = typer.Option("direct", help="Provisioning engine: direct or argo"),
) -> None:
    """Run everything: API, worker, UI, embedded cluster simulator, SQLite and dev login."""
    typer.echo("nsaas dev: nothing to run yet")

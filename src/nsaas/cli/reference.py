"""``nsaas config-reference``: print the configuration reference (docs/configuration.md)."""

from __future__ import annotations

import typer

from nsaas import config


def register(app: typer.Typer) -> None:
    app.command("config-reference")(config_reference)


def config_reference() -> None:
    """Print every setting with its environment variable, type and default, as Markdown."""
    typer.echo(config.reference_markdown(), nl=False)

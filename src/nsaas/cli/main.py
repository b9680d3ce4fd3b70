"""The ``nsaas`` command. Each sub-command lives in its own module and registers itself here."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="nsaas",
    help="Self-service Namespace-as-a-Service for Kubernetes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register() -> None:
    from nsaas.cli import db, dev, reference, render, serve, sim, token, ui

    db.register(app)
    dev.register(app)
    reference.register(app)
    render.register(app)
    serve.register(app)
    sim.register(app)
    token.register(app)
    ui.register(app)


_register()

if __name__ == "__main__":  # pragma: no cover
    app()

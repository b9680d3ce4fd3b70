"""The ``nsaas`` command. Each sub-command lives in its own module and registers itself here.

The developer commands (``login``, ``logout``, ``whoami``, ``ns``, ``team``, ``template``) are plain HTTP clients of the
Platform API; when one of them is run, the server commands (which import the database, the
web servers and the simulator) are not registered at all, so the CLI starts in a fraction of
the time. ``nsaas --help`` and shell completion still see every command.
"""

from __future__ import annotations

import sys

import typer

app = typer.Typer(
    name="nsaas",
    help="Self-service Namespace-as-a-Service for Kubernetes.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)

#: Sub-commands that only talk to the API over HTTP.
CLIENT_COMMANDS = frozenset({"login", "logout", "whoami", "ns", "team", "template"})


def _register(argv: list[str]) -> None:
    from nsaas.cli.client import account, ns, team, template

    account.register(app)
    ns.register(app)
    team.register(app)
    template.register(app)
    if len(argv) > 1 and argv[1] in CLIENT_COMMANDS:
        return

    from nsaas.cli import db, dev, reference, render, serve, sim, token, ui

    db.register(app)
    dev.register(app)
    reference.register(app)
    render.register(app)
    serve.register(app)
    sim.register(app)
    token.register(app)
    ui.register(app)


_register(sys.argv)

if __name__ == "__main__":  # pragma: no cover
    app()

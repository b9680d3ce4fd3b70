"""``nsaas sim``: the embedded Kubernetes API simulator alone, in the foreground until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import pathlib
from typing import Annotated

import typer

from nsaas.sim import server


def register(app: typer.Typer) -> None:
    app.command("sim")(sim)


def sim(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port)")] = 0,
    kubeconfig: Annotated[
        str, typer.Option(help="Where to write the kubeconfig for kubectl and lightkube")
    ] = ".nsaas/sim-kubeconfig.yaml",
) -> None:
    """Serve a simulated Kubernetes API on loopback and write a kubeconfig for it."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(port=port, kubeconfig=pathlib.Path(kubeconfig)))


async def _serve(*, port: int, kubeconfig: pathlib.Path) -> None:
    simulator = server.Simulator()
    await simulator.start(port=port)
    try:
        path = simulator.write_kubeconfig(kubeconfig)
        typer.echo(f"Kubernetes API simulator at {simulator.url}")
        typer.echo(f"kubeconfig: {path.resolve()}")
        typer.echo(f"try: kubectl --kubeconfig {path} get ns")
        await asyncio.Event().wait()
    finally:
        await simulator.stop()

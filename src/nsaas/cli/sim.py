"""``nsaas sim``: the embedded Kubernetes API simulator alone, in the foreground until Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import pathlib
from typing import Annotated

import typer

#: The wheel (and the production image) leaves the simulator out; a checkout has it (make run).
NOT_INSTALLED = (
    "nsaas: the Kubernetes API simulator is a development and test tool and is not installed here; "
    "run it from a source checkout (make run), or point nsaas at a cluster with NSAAS_KUBECONFIG"
)


def require_simulator() -> None:
    """Exit with a clear message (status 2) when the simulator is not installed."""
    if importlib.util.find_spec("nsaas.sim") is None:
        typer.echo(NOT_INSTALLED, err=True)
        raise typer.Exit(2)


def register(app: typer.Typer) -> None:
    app.command("sim")(sim)


def sim(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port)")] = 0,
    kubeconfig: Annotated[
        str, typer.Option(help="Where to write the kubeconfig for kubectl and lightkube")
    ] = ".nsaas/sim-kubeconfig.yaml",
) -> None:
    """Serve a simulated Kubernetes API on loopback and write a kubeconfig for it."""
    require_simulator()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(port=port, kubeconfig=pathlib.Path(kubeconfig)))


async def _serve(*, port: int, kubeconfig: pathlib.Path) -> None:
    from nsaas.sim import server  # not in the wheel: imported only once require_simulator() passed

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

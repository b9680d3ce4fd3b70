"""``nsaas api`` and ``nsaas worker``: the production processes."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated

import typer
import uvicorn
from prometheus_client import start_http_server

from nsaas import config, logs, metrics, runtime, tracing
from nsaas.api import app as api_app
from nsaas.api import server
from nsaas.domain import errors


def register(app: typer.Typer) -> None:
    app.command("api")(api)
    app.command("worker")(worker)


def _settings(*, needs: tuple[str, ...], component: str) -> config.Settings:
    settings = config.Settings()
    logs.configure(level=settings.log_level, json=settings.log_json)
    tracing.configure(settings, component=component)
    try:
        settings.check_production(needs=needs)
    except errors.ConfigurationError as exc:
        typer.echo(f"nsaas: {exc.message}", err=True)
        raise typer.Exit(2) from None
    return settings


def api(
    host: Annotated[str, typer.Option(help="Address to bind")] = "0.0.0.0",
    port: Annotated[int, typer.Option(help="Port")] = 3000,
    worker: Annotated[bool, typer.Option("--worker/--no-worker", help="Run the reconciler in-process")] = True,
) -> None:
    """The Platform API (FastAPI on uvicorn); runs the reconciler in-process unless --no-worker."""
    settings = _settings(needs=("jwt_secret",), component="api")
    settings.engines.run_in_api = worker and settings.engines.run_in_api
    app = api_app.create_app(settings)
    uvicorn.Server(server.uvicorn_config(app, host=host, port=port, settings=settings.server, proxy_headers=True)).run()


def worker(
    metrics_port: Annotated[int, typer.Option(help="Port for /metrics (0: none)")] = 9090,
    metrics_host: Annotated[
        str, typer.Option(help="Address /metrics binds (0.0.0.0 for a pod's scrape, 127.0.0.1 to keep it local)")
    ] = "0.0.0.0",
) -> None:
    """The reconciler and the template rollouts; run any number of replicas (work is claimed through the database)."""
    settings = _settings(needs=(), component="worker")
    if metrics_port:
        start_http_server(metrics_port, addr=metrics_host, registry=metrics.REGISTRY)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_work(settings))


async def _work(settings: config.Settings) -> None:
    rt = await runtime.build(settings, component="worker")
    try:
        await rt.bus.start()
        await asyncio.gather(*(loop() for loop in rt.worker_loops().values()))
    finally:
        await rt.aclose()

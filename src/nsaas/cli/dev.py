"""``nsaas dev``: the whole platform in one process for trying it out (``make run``).

API, reconciler, UI and an embedded Kubernetes API simulator, with SQLite and dev login under
``NSAAS_DATA_DIR``. The simulator is a separate HTTP server that the normal cluster adapter
talks to through a kubeconfig, exactly as it would talk to AKS; the Argo WorkflowTemplates of
``deploy/argo`` are loaded into it so the argo engine works too.

``--kubeconfig PATH`` uses an existing cluster instead of the simulator (for example the real
control plane of ``make testenv``), after checking that it serves every API group nsaas needs.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from nsaas import config, logs, runtime, tracing
from nsaas.adapters.auth import dev as dev_auth
from nsaas.adapters.db import ui_sessions
from nsaas.adapters.kube import client as kube_client
from nsaas.api import app as api_app
from nsaas.api import server
from nsaas.cli import sim as sim_command
from nsaas.domain import records
from nsaas.services import ports


def register(app: typer.Typer) -> None:
    app.command("dev")(dev)


def dev(
    api_port: Annotated[int, typer.Option(help="Platform API port")] = 3000,
    ui_port: Annotated[int, typer.Option(help="Platform UI port")] = 8080,
    engine: Annotated[str, typer.Option(help="Provisioning engine: direct or argo")] = "direct",
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default: dev login is open)")] = "127.0.0.1",
    kubeconfig: Annotated[
        Path | None,
        typer.Option(help="Use this existing cluster instead of the embedded simulator", exists=True, dir_okay=False),
    ] = None,
) -> None:
    """Run everything: API, worker, UI, embedded cluster simulator (or --kubeconfig), SQLite and dev login."""
    sim_command.require_simulator()
    if engine not in records.ENGINE_NAMES:
        raise typer.BadParameter(f"engine must be one of {', '.join(records.ENGINE_NAMES)}", param_hint="--engine")
    with contextlib.suppress(KeyboardInterrupt):
        cluster = kubeconfig.resolve() if kubeconfig else None
        asyncio.run(_run(api_port=api_port, ui_port=ui_port, engine=engine, host=host, cluster_kubeconfig=cluster))


class MissingAPIGroups(Exception):
    """The cluster lacks API group versions nsaas needs (their CRDs are not installed)."""


async def check_api_groups(cluster: ports.Cluster, *, engine: str) -> None:
    """Refuse a cluster that does not serve every group version the bundles (and engine) use."""
    missing = await cluster.missing_api_versions(kube_client.required_api_versions(engine))
    if missing:
        raise MissingAPIGroups(
            "the cluster does not serve these API group versions nsaas needs (install their CRDs): "
            + ", ".join(missing)
        )


async def _run(*, api_port: int, ui_port: int, engine: str, host: str, cluster_kubeconfig: Path | None) -> None:
    from nsaas import devkit  # it starts the simulator, which the wheel leaves out

    base = config.Settings()
    data_dir = base.data_dir
    data_dir.mkdir(parents=True, exist_ok=True)
    simulator = None
    if cluster_kubeconfig is None:
        simulator = devkit.persistent_simulator(data_dir)
        await simulator.start()
        kubeconfig = simulator.write_kubeconfig(data_dir / "kubeconfig.yaml")
    else:
        kubeconfig = cluster_kubeconfig
    settings = config.Settings(
        auth_mode="dev",
        engine=engine,
        kubeconfig=str(kubeconfig),
        log_json=False,
        ui=base.ui.model_copy(
            update={"api_url": f"http://127.0.0.1:{api_port}", "public_url": f"http://{host}:{ui_port}"}
        ),
    )
    logs.configure(level=settings.log_level, json=False)
    tracing.configure(settings, component="dev")
    from nsaas.ui import app as ui_app  # the UI is heavy to import; only dev needs both

    rt = await runtime.build(settings, component="dev")
    try:
        if simulator is None:
            try:
                await check_api_groups(rt.cluster, engine=engine)
            except MissingAPIGroups as exc:
                typer.echo(f"nsaas dev: {exc}", err=True)
                raise typer.Exit(1) from exc
        await devkit.bootstrap_cluster(rt.cluster, settings)
        await rt.start_background(worker=True)
        servers = [
            uvicorn.Server(
                server.uvicorn_config(
                    api_app.create_app(settings, rt=rt), host=host, port=api_port, settings=settings.server
                )
            ),
            uvicorn.Server(
                server.uvicorn_config(
                    ui_app.create_app(
                        settings,
                        session_rows=ui_sessions.SessionRows.from_settings(settings),
                        persona_tokens=dev_auth.persona_tokens(settings),
                    ),
                    host=host,
                    port=ui_port,
                    settings=settings.server,
                )
            ),
        ]
        serving = [asyncio.create_task(s.serve()) for s in servers]
        while not all(s.started for s in servers):
            if any(t.done() for t in serving):
                break
            await asyncio.sleep(0.05)
        _banner(
            api_port=api_port,
            ui_port=ui_port,
            host=host,
            kubeconfig=kubeconfig,
            engine=engine,
            gitops_namespace=settings.gitops.namespace,
        )
        await asyncio.gather(*serving)
    finally:
        await rt.aclose()
        if simulator is not None:
            await simulator.stop()


def _banner(*, api_port: int, ui_port: int, host: str, kubeconfig: Path, engine: str, gitops_namespace: str) -> None:
    typer.echo(
        "\n".join(
            [
                "",
                "nsaas is running (dev mode: personas instead of Azure AD; data under NSAAS_DATA_DIR)",
                f"  Platform UI:   http://{host}:{ui_port}",
                f"  Platform API:  http://{host}:{api_port}/api/docs",
                f"  Cluster:       kubectl --kubeconfig {kubeconfig} get ns",
                f"  Engine:        {engine}",
                "  API token:     NSAAS_AUTH_MODE=dev nsaas token --persona team-a-developer",
                f"  CLI:           NSAAS_API_URL=http://127.0.0.1:{api_port} nsaas login --persona team-a-developer",
                f"  GitOps:        kubectl --kubeconfig {kubeconfig} -n {gitops_namespace} get namespacerequests",
                "Stop with Ctrl-C.",
            ]
        )
    )

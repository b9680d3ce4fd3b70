"""``nsaas ns ...``: request, follow, change and hand over namespaces through the Platform API."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from nsaas.cli.client import account, api, kubeconfig, output, progress, session

app = typer.Typer(help="Namespaces: request, list, watch, change, connect, delete.", no_args_is_help=True)
ApiOption = account.ApiOption
OutputOption = account.OutputOption
WaitOption = Annotated[bool, typer.Option("--wait", help="Follow the live timeline until it settles")]
TimeoutOption = Annotated[float, typer.Option(help="Seconds to wait at most (exit 8 after)")]
DEFAULT_TIMEOUT = 600.0


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="ns")


#: Every command opens the API, runs, and exits with the documented code the same way.
_run = session.run


def _follow(client: api.Api, name: str, *, timeout: float, until_gone: bool = False) -> int:
    outcome = progress.Watcher(client).wait(name, timeout=timeout, until_gone=until_gone)
    if outcome.code == api.OK:
        typer.echo(f"{name} is {outcome.status}")
    else:
        typer.echo(f"{name} is {outcome.status}: {outcome.reason}", err=True)
    return outcome.code


def _read_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        loaded = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
        api.fail(f"cannot read {path}: {exc}", api.INVALID_INPUT, {"--file": str(exc)})
    if isinstance(loaded, dict) and loaded.get("kind") == "NamespaceRequest":
        loaded = {"namespaceName": (loaded.get("metadata") or {}).get("name"), **(loaded.get("spec") or {})}
    if not isinstance(loaded, dict):
        api.fail(
            f"{path} must hold one request object (the API's body)", api.INVALID_INPUT, {"--file": "not an object"}
        )
    return loaded


@app.command("request")
def request(
    name: Annotated[str | None, typer.Argument(help="Namespace name (or namespaceName in --file)")] = None,
    *,
    team: Annotated[str | None, typer.Option(help="Owning team")] = None,
    env: Annotated[str | None, typer.Option(help="development, staging or production")] = None,
    tier: Annotated[str | None, typer.Option(help="micro, small, medium or large")] = None,
    network: Annotated[str | None, typer.Option(help="isolated (default), team-shared or open")] = None,
    feature: Annotated[list[str] | None, typer.Option(help="A feature; repeat for several")] = None,
    ttl: Annotated[str | None, typer.Option(help='Expire after, e.g. "72h" or "7d"')] = None,
    description: Annotated[str | None, typer.Option(help="What it is for")] = None,
    cost_center: Annotated[str | None, typer.Option(help="Cost center")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Request body as YAML/JSON (API shape)")] = None,
    wait: WaitOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    api_url: ApiOption = None,
    fmt: OutputOption = output.Format.table,
) -> None:
    """Request a namespace; with --wait, follow it live until it is ready (exit 0) or fails (exit 1)."""

    def action(client: api.Api) -> int:
        body: dict[str, Any] = {"networkPolicy": "isolated"} if file is None else {}
        if file is not None:
            body.update(_read_file(file))
        flags = {
            "namespaceName": name,
            "team": team,
            "environment": env,
            "resourceTier": tier,
            "networkPolicy": network,
            "features": feature,
            "ttl": ttl,
            "description": description,
            "costCenter": cost_center,
        }
        body.update({key: value for key, value in flags.items() if value is not None})
        _require(body, {"namespaceName": "NAME", "team": "--team", "environment": "--env", "resourceTier": "--tier"})
        accepted = client.call("POST", "/namespaces/request", body=body).data
        if not wait:
            output.emit(accepted, fmt)
            return api.OK
        typer.echo(f"requested {accepted['namespaceName']} ({accepted['status']})", err=True)
        return _follow(client, accepted["namespaceName"], timeout=timeout)

    _run(api_url, action)


def _require(body: dict[str, Any], needed: dict[str, str]) -> None:
    missing = {flag: "is required" for key, flag in needed.items() if not body.get(key)}
    if missing:
        api.fail("the request is incomplete", api.INVALID_INPUT, missing)


@app.command("list")
def list_(
    *,
    team: Annotated[str | None, typer.Option(help="Only this team")] = None,
    env: Annotated[str | None, typer.Option(help="Only this environment")] = None,
    status: Annotated[str | None, typer.Option(help="Only this status")] = None,
    tier: Annotated[str | None, typer.Option(help="Only this tier")] = None,
    contains: Annotated[str | None, typer.Option("--name", help="Name contains")] = None,
    include_ended: Annotated[bool, typer.Option("--all", help="Include deleted, expired, rejected ...")] = False,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 200,
    api_url: ApiOption = None,
    fmt: OutputOption = output.Format.table,
) -> None:
    """Namespaces of your teams (platform roles: every team)."""

    def action(client: api.Api) -> None:
        params = {"team": team, "environment": env, "status": status, "tier": tier, "q": contains, "limit": limit}
        page = client.call("GET", "/namespaces", params={**params, "includeEnded": include_ended or None}).data
        output.emit(page["items"], fmt)

    _run(api_url, action)


@app.command("get")
def get(name: str, api_url: ApiOption = None, fmt: OutputOption = output.Format.table) -> None:
    """One namespace: request, live status, quota, cost and timeline."""
    _run(api_url, lambda client: output.emit(client.call("GET", f"/namespaces/{name}").data, fmt))


@app.command("watch")
def watch(name: str, timeout: TimeoutOption = DEFAULT_TIMEOUT, api_url: ApiOption = None) -> None:
    """Follow a namespace's live timeline until it is ready (exit 0) or fails (exit 1)."""
    _run(api_url, lambda client: _follow(client, name, timeout=timeout))


def _patch(client: api.Api, name: str, body: dict[str, Any], *, wait: bool, timeout: float, fmt: output.Format) -> int:
    etag = client.call("GET", f"/namespaces/{name}").etag
    changed = client.call("PATCH", f"/namespaces/{name}", body=body, headers={"If-Match": etag} if etag else {}).data
    if wait:
        return _follow(client, name, timeout=timeout)
    output.emit(changed, fmt)
    return api.OK


@app.command("update")
def update(
    name: str,
    *,
    tier: Annotated[str | None, typer.Option(help="New tier")] = None,
    feature: Annotated[list[str] | None, typer.Option(help="The full feature set; repeat for several")] = None,
    no_features: Annotated[bool, typer.Option("--no-features", help="Remove every feature")] = False,
    description: Annotated[str | None, typer.Option(help="New description")] = None,
    wait: WaitOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    api_url: ApiOption = None,
    fmt: OutputOption = output.Format.table,
) -> None:
    """Change tier, features or description (sent with If-Match: a concurrent change is exit 6)."""
    body: dict[str, Any] = {"resourceTier": tier, "description": description}
    body["features"] = [] if no_features else feature
    body = {key: value for key, value in body.items() if value is not None}
    if not body:
        api.report(api.CliError("nothing to change", api.INVALID_INPUT, {"--tier/--feature/--description": "give one"}))
    _run(api_url, lambda client: _patch(client, name, body, wait=wait, timeout=timeout, fmt=fmt))


@app.command("extend")
def extend(
    name: str,
    ttl: Annotated[str, typer.Option(help='New TTL from now, e.g. "72h" or "7d"')],
    api_url: ApiOption = None,
    fmt: OutputOption = output.Format.table,
) -> None:
    """Push the expiry out: the TTL runs again from now."""
    _run(api_url, lambda client: _patch(client, name, {"ttl": ttl}, wait=False, timeout=0, fmt=fmt))


@app.command("delete")
def delete(
    name: str,
    *,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for the typed confirmation")] = False,
    reason: Annotated[str, typer.Option(help="Recorded in the audit trail")] = "",
    wait: WaitOption = False,
    timeout: TimeoutOption = DEFAULT_TIMEOUT,
    api_url: ApiOption = None,
    fmt: OutputOption = output.Format.table,
) -> None:
    """Decommission a namespace (everything in it is deleted). Asks you to type its name unless --yes."""
    if not yes:
        if not sys.stdin.isatty():
            api.report(api.CliError("refusing to delete without confirmation", api.INVALID_INPUT, {"--yes": "needed"}))
        typed = typer.prompt(f"This deletes {name} and everything in it. Type the namespace name to confirm")
        if typed.strip() != name:
            api.report(api.CliError("confirmation did not match; nothing deleted", api.INVALID_INPUT))

    def action(client: api.Api) -> int:
        answer = client.call("DELETE", f"/namespaces/{name}", params={"reason": reason or None}).data
        if wait:
            return _follow(client, name, timeout=timeout, until_gone=True)
        output.emit(answer, fmt)
        return api.OK

    _run(api_url, action)


@app.command("approve")
def approve(
    name: str,
    reason: Annotated[str, typer.Option(help="Why (recorded)")] = "",
    api_url: ApiOption = None,
    fmt: OutputOption = output.Format.table,
) -> None:
    """Approve a pending request exactly as you see it now (If-Match)."""

    def action(client: api.Api) -> None:
        etag = client.call("GET", f"/namespaces/{name}").etag
        headers = {"If-Match": etag} if etag else {}
        output.emit(
            client.call("POST", f"/namespaces/{name}/approve", body={"reason": reason}, headers=headers).data, fmt
        )

    _run(api_url, action)


@app.command("reject")
def reject(
    name: str,
    reason: Annotated[str, typer.Option(help="Why (required, shown to the requester)")],
    api_url: ApiOption = None,
    fmt: OutputOption = output.Format.table,
) -> None:
    """Reject a pending request with a reason."""
    _run(
        api_url, lambda c: output.emit(c.call("POST", f"/namespaces/{name}/reject", body={"reason": reason}).data, fmt)
    )


@app.command("cost")
def cost(name: str, api_url: ApiOption = None, fmt: OutputOption = output.Format.table) -> None:
    """The namespace's estimated monthly cost and its basis."""
    _run(api_url, lambda client: output.emit(client.call("GET", f"/namespaces/{name}/cost").data, fmt))


@app.command("manifests")
def manifests(name: str, api_url: ApiOption = None) -> None:
    """The namespace's bundle as multi-document YAML."""
    path = f"/namespaces/{name}/manifests"
    _run(api_url, lambda client: typer.echo(client.call("GET", path, params={"format": "yaml"}).text, nl=False))


@app.command("connect")
def connect(
    name: str,
    write_kubeconfig: Annotated[
        Path | None, typer.Option("--write-kubeconfig", help="Add the context to this kubeconfig (created if missing)")
    ] = None,
    api_url: ApiOption = None,
) -> None:
    """kubectl access: prints a kubeconfig for NAME, or adds its context (named NAME) to a kubeconfig file."""

    def action(client: api.Api) -> None:
        access = client.call("GET", f"/namespaces/{name}/access").data
        if write_kubeconfig is None:
            typer.echo(access["kubeconfig"], nl=False)
        else:
            kubeconfig.merge(write_kubeconfig, yaml.safe_load(access["kubeconfig"]))
            typer.echo(access["context"])
        _describe(access)

    _run(api_url, action)


def _describe(access: dict[str, Any]) -> None:
    """Snippets and role holders, for people, on stderr: stdout carries the kubeconfig or the context name."""
    lines = [f"# cluster {access['cluster']['name']} ({access['authentication']} sign-in)"]
    lines += [f"#   {s['command']:<60} {s['title']}" for s in access["snippets"]]
    lines += [f"# {r['role']}: {', '.join(r['subjects']) or 'nobody'}" for r in access["roles"]]
    typer.echo("\n".join(lines), err=True)

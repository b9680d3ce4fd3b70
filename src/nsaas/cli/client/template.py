"""``nsaas template ...``: bundle template versions, exported and imported as YAML for GitOps.

The YAML document (``kind: BundleTemplate``) carries the version number, so importing the same
file again changes nothing (the API answers the existing version), and importing an edited file
under the same number is refused: a new document needs a new version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml

from nsaas.cli.client import account, api, output, session

app = typer.Typer(help="Bundle templates: versions, YAML export and import (platform admins write).")
ApiOption = account.ApiOption
OutputOption = account.OutputOption
API_VERSION = "nsaas.io/v1"
KIND = "BundleTemplate"
VERSION_COLUMNS = (
    ("VERSION", "version"),
    ("STATE", "state"),
    ("BUILTIN", "builtin"),
    ("CREATED BY", "createdBy"),
    ("DESCRIPTION", "description"),
)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="template")


def document(version: dict[str, Any]) -> dict[str, Any]:
    """The YAML export of one version as the API returns it."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": version["name"], "version": version["version"]},
        "description": version.get("description", ""),
        "spec": version["spec"],
    }


def _parsed(text: str) -> tuple[str, dict[str, Any]]:
    """(template name, API body) of an exported document; CliError naming what is wrong."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise api.CliError("the file is not YAML", api.INVALID_INPUT, {"file": str(error)}) from error
    problems: dict[str, str] = {}
    if not isinstance(doc, dict):
        raise api.CliError("the file is not a BundleTemplate document", api.INVALID_INPUT, {"file": "expected a map"})
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != KIND:
        problems["kind"] = f"expected apiVersion {API_VERSION} and kind {KIND}"
    meta = doc.get("metadata")
    if not isinstance(meta, dict) or not isinstance(meta.get("name"), str):
        problems["metadata.name"] = "is required"
    elif not isinstance(meta.get("version"), int) or isinstance(meta.get("version"), bool):
        problems["metadata.version"] = "must be an integer"
    if not isinstance(doc.get("spec"), dict):
        problems["spec"] = "must be a map"
    if problems:
        raise api.CliError("the file is not a valid BundleTemplate document", api.INVALID_INPUT, problems)
    assert isinstance(meta, dict)
    body = {"version": meta["version"], "description": doc.get("description") or "", "spec": doc["spec"]}
    return meta["name"], body


@app.command("list")
def list_(name: str = "standard", api_url: ApiOption = None, fmt: OutputOption = output.Format.table) -> None:
    """The template's versions and the one new namespaces get."""

    def action(client: api.Api) -> None:
        data = client.call("GET", f"/templates/{name}").data
        if fmt == output.Format.table:
            typer.echo(f"{data['name']}: new namespaces get version {data['current']}")
            output.emit(data["versions"], fmt, columns=VERSION_COLUMNS)
        else:
            output.emit(data, fmt)

    session.run(api_url, action)


@app.command("export")
def export(
    name: str,
    version: Annotated[int, typer.Option("--version", help="The version to export")],
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Write here instead of stdout")] = None,
    api_url: ApiOption = None,
) -> None:
    """One version as a YAML document (commit it; ``nsaas template import`` reads it back)."""

    def action(client: api.Api) -> None:
        data = client.call("GET", f"/templates/{name}/versions/{version}").data
        text = yaml.safe_dump(document(data), sort_keys=False)
        if file is None:
            typer.echo(text, nl=False)
        else:
            file.write_text(text, encoding="utf-8")

    session.run(api_url, action)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A BundleTemplate YAML document", exists=True, dir_okay=False)],
    publish: Annotated[bool, typer.Option("--publish", help="Also publish it: new namespaces get it")] = False,
    api_url: ApiOption = None,
    fmt: OutputOption = output.Format.table,
) -> None:
    """Create the document's version (a no-op when it exists with this spec), and publish it with --publish."""
    try:
        name, body = _parsed(file.read_text(encoding="utf-8"))
    except api.CliError as error:
        api.report(error)

    def action(client: api.Api) -> None:
        data = client.call("POST", f"/templates/{name}/versions", body=body).data
        if publish:
            data = client.call("POST", f"/templates/{name}/versions/{data['version']}/publish").data
        output.emit({k: v for k, v in data.items() if k != "spec"}, fmt)

    session.run(api_url, action)


@app.command("publish")
def publish_(name: str, version: int, api_url: ApiOption = None, fmt: OutputOption = output.Format.table) -> None:
    """Publish a version: new namespaces get it (existing ones move by a rollout)."""

    def action(client: api.Api) -> None:
        data = client.call("POST", f"/templates/{name}/versions/{version}/publish").data
        output.emit({k: v for k, v in data.items() if k != "spec"}, fmt)

    session.run(api_url, action)

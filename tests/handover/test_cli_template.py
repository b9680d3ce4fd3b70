"""``nsaas template``: export a version as YAML and import it back (GitOps), against the real API on loopback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner, Result

from nsaas.api import app as api_app
from nsaas.cli import main
from tests.support.platform import Platform, live_server


async def _cli(monkeypatch: pytest.MonkeyPatch, url: str, token: str, *args: str) -> Result:
    monkeypatch.setenv("NSAAS_API_URL", url)
    monkeypatch.setenv("NSAAS_TOKEN", token)
    return await asyncio.to_thread(CliRunner().invoke, main.app, ["template", *args])


async def test_export_then_import_round_trips_and_a_second_import_changes_nothing(
    platform: Platform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NSAAS_CONFIG_DIR", str(tmp_path))
    admin, developer = platform.tokens["platform-admin"], platform.tokens["team-a-developer"]
    app = api_app.create_app(platform.settings, rt=platform.rt)
    async with live_server(app) as url:
        v1 = tmp_path / "v1.yaml"
        exported = await _cli(monkeypatch, url, developer, "export", "standard", "--version", "1", "-f", str(v1))
        assert exported.exit_code == 0, exported.output
        doc = yaml.safe_load(v1.read_text())
        assert (doc["kind"], doc["metadata"]) == ("BundleTemplate", {"name": "standard", "version": 1})
        assert doc["spec"]["podSecurity"] == platform.settings.bundle.pod_security

        doc["metadata"]["version"] = 2
        doc["spec"]["namespaceLabels"] = {"example.com/owner": "platform"}
        v2 = tmp_path / "v2.yaml"
        v2.write_text(yaml.safe_dump(doc))
        refused = await _cli(monkeypatch, url, developer, "import", str(v2))
        assert refused.exit_code == 4, refused.output  # 403: platform admins write
        imported = await _cli(monkeypatch, url, admin, "import", str(v2), "--publish")
        assert imported.exit_code == 0, imported.output
        again = await _cli(monkeypatch, url, admin, "import", str(v2))
        assert again.exit_code == 0, again.output
        shown = (await platform.call("GET", "/templates/standard")).json()["data"]
        assert shown["current"] == 2
        assert [(v["version"], v["state"]) for v in shown["versions"]] == [(1, "published"), (2, "published")]
        assert shown["versions"][1]["spec"]["namespaceLabels"] == {"example.com/owner": "platform"}

        roundtrip = tmp_path / "back.yaml"
        back = await _cli(monkeypatch, url, admin, "export", "standard", "--version", "2", "-f", str(roundtrip))
        assert back.exit_code == 0, back.output
        assert yaml.safe_load(roundtrip.read_text())["spec"] == doc["spec"]

        doc["spec"]["internetEgress"] = False
        v2.write_text(yaml.safe_dump(doc))
        edited = await _cli(monkeypatch, url, admin, "import", str(v2))
        assert edited.exit_code == 6, edited.output  # 409: a new document needs a new version
        broken = tmp_path / "broken.yaml"
        broken.write_text("kind: Namespace\nmetadata: {}\n")
        bad = await _cli(monkeypatch, url, admin, "import", str(broken))
        assert bad.exit_code == 2, bad.output
        for field in ("kind", "metadata.name", "spec"):
            assert field in bad.output

"""``nsaas team``: the registry from the command line, against the real API served on loopback."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from nsaas.api import app as api_app
from nsaas.cli import main
from tests.support.platform import Platform, live_server


async def _cli(monkeypatch: pytest.MonkeyPatch, url: str, token: str, *args: str) -> Result:
    monkeypatch.setenv("NSAAS_API_URL", url)
    monkeypatch.setenv("NSAAS_TOKEN", token)
    return await asyncio.to_thread(CliRunner().invoke, main.app, ["team", *args])


def _json(result: Result) -> dict[str, Any]:
    """The command's JSON document (the in-process server logs to the same captured stdout before it)."""
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line == "{")
    data: dict[str, Any] = json.loads("\n".join(lines[start:]))
    return data


async def test_an_admin_registers_and_changes_a_team_and_a_team_admin_may_only_read_it(
    platform: Platform, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NSAAS_CONFIG_DIR", str(tmp_path))
    admin, team_admin = platform.tokens["platform-admin"], platform.tokens["team-a-admin"]
    app = api_app.create_app(platform.settings, rt=platform.rt)
    async with live_server(app) as url:
        created = await _cli(
            monkeypatch, url, admin, "create", "team-a", "--cap", "3", "--cpu", "8", "--tier", "small",
            "--owner-group", "g-a-owners", "--storage-class", "standard", "--registry", "myacr.azurecr.io/",
            "-o", "json",
        )  # fmt: skip
        assert created.exit_code == 0, created.output
        team = _json(created)
        assert (team["namespaceCap"], team["budget"]["cpu"], team["allowedTiers"]) == (3, 8.0, ["small"])
        assert (team["allowedStorageClasses"], team["allowedRegistries"]) == (["standard"], ["myacr.azurecr.io/"])
        assert team["allowedIngressClasses"] is None

        changed = await _cli(monkeypatch, url, admin, "update", "team-a", "--cap", "5", "--reset", "allowedTiers")
        assert changed.exit_code == 0, changed.output
        shown = await _cli(monkeypatch, url, team_admin, "show", "team-a", "-o", "json")
        assert shown.exit_code == 0, shown.output
        team = _json(shown)
        assert (team["namespaceCap"], team["version"]) == (5, 2)
        assert team["allowedTiers"] == ["micro", "small", "medium", "large"]

        listed = await _cli(monkeypatch, url, team_admin, "list")
        assert listed.exit_code == 0, listed.output
        assert "cpu=8.0" in listed.stdout

        refused = await _cli(monkeypatch, url, team_admin, "update", "team-a", "--cap", "50")
        assert refused.exit_code == 4, refused.output  # 403: a team admin cannot raise their own limits
        hidden = await _cli(monkeypatch, url, team_admin, "show", "team-b")
        assert hidden.exit_code == 5, hidden.output
        bad = await _cli(monkeypatch, url, admin, "update", "team-a", "--reset", "colour")
        assert bad.exit_code == 2
        assert "--reset" in bad.output

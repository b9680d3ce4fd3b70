"""``nsaas render``: the bundle as YAML from flags or a file, and every input problem on stderr."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from nsaas.cli.main import app

FLAGS = [
    "render",
    "--name", "payments-dev",
    "--team", "payments",
    "--environment", "development",
    "--tier", "small",
    "--network-policy", "isolated",
]  # fmt: skip


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A runner with no NSAAS_ settings in the environment: render must work without any."""
    for key in [k for k in os.environ if k.startswith("NSAAS_")]:
        monkeypatch.delenv(key)
    return CliRunner()


def test_flags_render_a_multi_document_bundle(runner: CliRunner) -> None:
    result = runner.invoke(app, [*FLAGS, "--feature", "istio-injection", "--feature", "monitoring-enhanced"])
    assert result.exit_code == 0, result.output
    documents = list(yaml.safe_load_all(result.stdout))
    kinds = [d["kind"] for d in documents]
    assert kinds[0] == "Namespace"
    assert {"PeerAuthentication", "ServiceMonitor", "PrometheusRule"} <= set(kinds)
    assert documents[0]["metadata"]["annotations"]["platform.io/requested-by"] == "cli"


def test_the_same_flags_give_byte_identical_output(runner: CliRunner) -> None:
    first, second = runner.invoke(app, FLAGS), runner.invoke(app, FLAGS)
    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout
    other = runner.invoke(app, [*FLAGS[:2], "other-name", *FLAGS[3:]])
    request_ids = {
        next(yaml.safe_load_all(r.stdout))["metadata"]["labels"]["platform.io/request-id"] for r in (first, other)
    }
    assert len(request_ids) == 2, "the default request id is derived from the namespace name"


def test_explicit_request_id_and_requester_are_used(runner: CliRunner) -> None:
    result = runner.invoke(app, [*FLAGS, "--request-id", "req-1", "--requested-by", "bob"])
    namespace = next(yaml.safe_load_all(result.stdout))
    assert namespace["metadata"]["labels"]["platform.io/request-id"] == "req-1"
    assert namespace["metadata"]["annotations"]["platform.io/requested-by"] == "bob"


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_a_request_file_in_the_api_shape_renders_like_the_flags(runner: CliRunner, tmp_path: Path, suffix: str) -> None:
    body = {
        "namespaceName": "payments-dev",
        "team": "payments",
        "environment": "development",
        "resourceTier": "small",
        "networkPolicy": "isolated",
    }
    path = tmp_path / f"request{suffix}"
    path.write_text(json.dumps(body) if suffix == ".json" else yaml.safe_dump(body))
    from_file = runner.invoke(app, ["render", "--file", str(path)])
    assert from_file.exit_code == 0, from_file.output
    assert from_file.stdout == runner.invoke(app, FLAGS).stdout


def test_invalid_input_prints_every_error_and_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        ["render", "--name", "Bad_Name", "--team", "x", "--environment", "prod", "--tier", "small",
         "--network-policy", "isolated", "--feature", "teleport"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert {line.split(":", 1)[0] for line in lines} == {"namespaceName", "team", "environment", "features"}


def test_policy_violations_are_reported_like_field_errors(runner: CliRunner) -> None:
    result = runner.invoke(
        app,
        ["render", "--name", "kube-tools", "--team", "ops", "--environment", "production", "--tier", "micro",
         "--network-policy", "open"],
    )  # fmt: skip
    assert result.exit_code == 2
    errors = dict(line.split(": ", 1) for line in result.stderr.splitlines())
    assert set(errors) == {"namespaceName", "resourceTier", "networkPolicy"}
    assert "reserved" in errors["namespaceName"]


def test_a_missing_or_unreadable_file_is_an_input_error(runner: CliRunner, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["render", "--file", str(tmp_path / "nope.yaml")])
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    unparsable = runner.invoke(app, ["render", "--file", str(broken)])
    assert missing.exit_code == unparsable.exit_code == 2
    assert "cannot read the request" in missing.stderr
    assert "cannot read the request" in unparsable.stderr


def test_file_and_request_flags_together_are_refused(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("namespaceName: x\n")
    result = runner.invoke(app, ["render", "--file", str(path), "--team", "payments"])
    assert result.exit_code == 2
    assert result.stderr.startswith("--file: cannot be combined")


def test_a_misconfigured_team_group_is_refused_rather_than_rendered(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NSAAS_BUNDLE__TEAM_GROUPS", json.dumps({"payments": {"admin": "system:authenticated"}}))
    result = runner.invoke(app, FLAGS)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "RoleBinding/payments-dev/nsaas-team-admins" in result.stderr

"""The developer CLI as a user runs it: a subprocess against ``nsaas dev`` on free ports.

Covers the issue's journey (login, request --wait with live progress, list, connect + kubectl,
delete) and the failure paths a script relies on: a forced provisioning failure exits 1 with
the reason, bad input exits 2 naming every field, unknown names exit 5, signed out exits 3.
"""

from __future__ import annotations

import json
import stat
import subprocess
from pathlib import Path

import pytest

from tests.handover import devserver

# Each starts (or shares) a real `nsaas dev` process: minutes, so `make ci` runs them and `make test` does not.
pytestmark = [pytest.mark.kubectl, pytest.mark.slow]


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


def test_a_developer_requests_connects_and_deletes_a_namespace(
    dev: devserver.DevServer, kubectl: str, tmp_path: Path
) -> None:
    signed_in = _ok(dev.cli("login", "--persona", "team-a-developer"))
    assert "Ada Team-A-Developer" in signed_in.stdout
    credentials = Path(dev.env["NSAAS_CONFIG_DIR"]) / "credentials.json"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600

    requested = _ok(
        dev.cli("ns", "request", "cli-a", "--team", "team-a", "--env", "development", "--tier", "small", "--wait")
    )
    progress = requested.stderr.splitlines()
    assert any("provisioning" in line and "queued for provisioning" in line for line in progress), requested.stderr
    assert any("applied" in line for line in progress), requested.stderr
    assert any(line.split()[1:2] == ["ready"] for line in progress if line[:2].isdigit()), requested.stderr
    assert requested.stdout.strip() == "cli-a is ready"

    listed = json.loads(_ok(dev.cli("ns", "list", "-o", "json")).stdout)
    assert [(n["name"], n["status"], n["team"]) for n in listed] == [("cli-a", "ready", "team-a")]

    kubeconfig = tmp_path / "kubeconfig"
    connected = _ok(dev.cli("ns", "connect", "cli-a", "--write-kubeconfig", str(kubeconfig)))
    assert connected.stdout.strip() == "cli-a"
    assert "kubectl --context cli-a get pods" in connected.stderr
    quota = subprocess.run(
        [kubectl, "--kubeconfig", str(kubeconfig), "--context", "cli-a", "get", "resourcequota", "-o", "name"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert quota.stdout.split() == ["resourcequota/nsaas-quota"]

    refused = dev.cli("ns", "delete", "cli-a")
    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    deleted = _ok(dev.cli("ns", "delete", "cli-a", "--yes", "--wait"))
    assert deleted.stdout.strip() == "cli-a is deleted"
    assert json.loads(_ok(dev.cli("ns", "get", "cli-a", "-o", "json")).stdout)["status"] == "deleted"


def test_a_forced_provisioning_failure_exits_1_with_the_reason(dev: devserver.DevServer, kubectl: str) -> None:
    _ok(dev.cli("login", "--persona", "team-a-developer"))
    rules = json.dumps({"rules": [{"verb": "patch", "resource": "resourcequotas", "error": "409"}]})
    fault = [kubectl, "--kubeconfig", str(dev.kubeconfig), "create", "--raw", "/_sim/faults", "-f", "-"]
    subprocess.run(fault, input=rules, capture_output=True, text=True, timeout=60, check=True)
    try:
        failed = dev.cli(
            "ns", "request", "cli-f", "--team", "team-a", "--env", "development", "--tier", "small", "--wait"
        )
    finally:
        clear = json.dumps({"rules": []})
        subprocess.run(fault, input=clear, capture_output=True, text=True, timeout=60, check=True)
    assert failed.returncode == 1, failed.stderr
    assert "gave up after 2 attempts" in failed.stderr
    assert "cli-f is failed: apply failed: ResourceQuota/cli-f/nsaas-quota" in failed.stderr


def test_bad_input_unknown_names_and_no_login_have_their_exit_codes(dev: devserver.DevServer) -> None:
    _ok(dev.cli("login", "--persona", "team-a-developer"))
    bad = dev.cli("ns", "request", "Bad_Name", "--team", "team-a", "--env", "prod", "--tier", "huge")
    assert bad.returncode == 2
    for field in ("namespaceName", "environment", "resourceTier"):
        assert f"  {field}: " in bad.stderr, bad.stderr
    incomplete = dev.cli("ns", "request", "cli-x")
    assert incomplete.returncode == 2
    assert all(f"  {flag}: is required" in incomplete.stderr for flag in ("--team", "--env", "--tier"))
    assert dev.cli("ns", "get", "no-such-namespace").returncode == 5
    assert dev.cli("ns", "get", "cli-a", "--api", "http://127.0.0.1:9").returncode == 7

    _ok(dev.cli("logout"))
    signed_out = dev.cli("ns", "list")
    assert signed_out.returncode == 3
    assert "nsaas login" in signed_out.stderr
    env = {**dev.env, "NSAAS_TOKEN": _persona_token(dev)}
    via_env = subprocess.run(
        [devserver.NSAAS, "whoami", "-o", "json"], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(via_env.stdout)["subject"] == "dev:team-b-developer"


def _persona_token(dev: devserver.DevServer) -> str:
    env = {**dev.env, "NSAAS_AUTH_MODE": "dev"}
    minted = subprocess.run(
        [devserver.NSAAS, "token", "--persona", "team-b-developer"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return minted.stdout.strip().splitlines()[-1]

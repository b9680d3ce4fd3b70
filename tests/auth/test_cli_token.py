"""``nsaas token``: the last line of stdout is a token the platform accepts; misuse is exit 2 with a reason."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nsaas.adapters.auth import authenticator, dev, platform_tokens
from nsaas.cli import main
from tests.auth import modes


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NSAAS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("NSAAS_AUTH__JWT_SECRET", raising=False)
    monkeypatch.setenv("NSAAS_AUTH_MODE", "azure-ad")
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main.app, ["token", *args])
    return result.exit_code, result.stdout, result.stderr


async def test_a_persona_token_on_the_last_line_is_accepted_by_a_dev_mode_api(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NSAAS_AUTH_MODE", "dev")
    code, stdout, _ = run("--persona", "team-a-developer")
    assert code == 0
    auth = authenticator.Authenticator.from_settings(modes.dev(data_dir))
    caller = await auth.authenticate(stdout.splitlines()[-1])
    await auth.aclose()
    assert caller.roles == frozenset({"team:team-a:developer"})


def test_a_persona_token_is_refused_outside_dev_mode_with_the_way_out(data_dir: Path) -> None:
    code, stdout, stderr = run("--persona", "platform-admin")
    assert code == 2
    assert stdout == ""
    assert "NSAAS_AUTH_MODE=dev" in stderr
    assert "--dev" in stderr


async def test_the_dev_flag_uses_the_data_directorys_dev_key(data_dir: Path) -> None:
    code, stdout, _ = run("--dev", "--persona", "viewer")
    assert code == 0
    auth = authenticator.Authenticator.from_settings(modes.dev(data_dir))
    assert (await auth.authenticate(stdout.splitlines()[-1])).roles == frozenset({"platform:viewer"})
    await auth.aclose()


def test_a_service_token_is_signed_with_the_configured_secret(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NSAAS_AUTH__JWT_SECRET", modes.JWT_SECRET)
    code, stdout, _ = run("--subject", "argo", "--role", "platform:engineer", "--role", "security:admin", "--ttl", "90")
    assert code == 0
    settings = modes.dev(data_dir, jwt_secret=modes.JWT_SECRET)
    caller = platform_tokens.verify(settings, stdout.splitlines()[-1])
    assert (caller.subject, caller.roles) == ("argo", frozenset({"platform:engineer", "security:admin"}))


def test_a_service_token_without_a_secret_outside_dev_mode_is_refused(data_dir: Path) -> None:
    code, stdout, stderr = run("--subject", "argo", "--role", "platform:engineer")
    assert (code, stdout) == (2, "")
    assert "NSAAS_AUTH__JWT_SECRET" in stderr


@pytest.mark.parametrize(
    ("args", "named"),
    [
        ((), "--persona/--subject"),
        (("--persona", "viewer", "--subject", "x"), "--persona/--subject"),
        (("--dev", "--persona", "viewer", "--role", "platform:admin"), "--role"),
        (("--dev", "--persona", "root"), "persona"),
        (("--dev", "--subject", "bot", "--role", "platform:root"), "roles"),
    ],
)
def test_misuse_exits_2_naming_the_problem(data_dir: Path, args: tuple[str, ...], named: str) -> None:
    code, stdout, stderr = run(*args)
    assert (code, stdout) == (2, "")
    assert named in stderr


@pytest.mark.slow  # starts the `nsaas token` process (the in-process cases above stay in make test)
def test_the_installed_command_prints_only_the_token_on_stdout(data_dir: Path) -> None:
    env = {**os.environ, "NSAAS_AUTH_MODE": "dev"}
    done = subprocess.run(
        [sys.executable, "-m", "nsaas.cli.main", "token", "--persona", "team-b-admin"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    [token] = done.stdout.splitlines()
    assert dev.DevSigner.load_or_create(modes.dev(data_dir)).verify(token).roles == frozenset({"team:team-b:admin"})
    assert "team-b-admin" in done.stderr

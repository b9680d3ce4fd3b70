"""The Backstage template and the CI example: they call routes that exist with bodies the API accepts."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from nsaas import config
from nsaas.api import app as api_app
from nsaas.domain import policy
from nsaas.services import bodies
from tests.handover import devserver

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPRESSION = re.compile(r"\$\{\{\s*parameters\.(\w+)[^}]*\}\}")
SAMPLE = {
    "namespaceName": "team-a-web",
    "team": "team-a",
    "environment": "staging",
    "resourceTier": "medium",
    "networkPolicy": "team-shared",
    "description": "web",
    "ttl": "72h",
}


def _fill(value: Any) -> Any:
    """Substitute the template's parameter expressions with sample answers."""
    if isinstance(value, dict):
        return {key: _fill(item) for key, item in value.items()}
    if isinstance(value, str):
        whole = EXPRESSION.fullmatch(value.strip())
        if whole:
            return SAMPLE.get(whole.group(1), [] if whole.group(1) == "features" else None)
        return EXPRESSION.sub(lambda m: str(SAMPLE[m.group(1)]), value)
    return value


def _api_paths() -> set[str]:
    return set(api_app.create_app(config.Settings(auth_mode="dev")).openapi()["paths"])


def test_the_backstage_template_requests_through_an_existing_route_with_a_valid_body() -> None:
    template = yaml.safe_load((EXAMPLES / "backstage" / "template.yaml").read_text())
    assert (template["apiVersion"], template["kind"]) == ("scaffolder.backstage.io/v1beta3", "Template")
    steps = {step["id"]: step for step in template["spec"]["steps"]}
    request = steps["request"]["input"]
    path = request["path"].removeprefix("/proxy/nsaas")
    assert (request["method"], path) == ("POST", "/api/platform/namespaces/request")
    assert path in _api_paths()

    body = {key: value for key, value in _fill(request["body"]).items() if value is not None}
    spec = bodies.parse_spec(body)
    assert policy.evaluate(spec, rules=config.PolicySettings(), context=policy.Context()) == {}
    asked = set(template["spec"]["parameters"][0]["properties"]) | set(template["spec"]["parameters"][1]["properties"])
    assert set(request["body"]) == asked

    catalog_url = _fill(steps["register"]["input"]["catalogInfoUrl"])
    assert "/api/platform/namespaces/{name}/catalog-info" in _api_paths()
    assert catalog_url.endswith("/api/platform/namespaces/team-a-web/catalog-info?format=yaml")


@pytest.mark.slow  # runs against a real `nsaas dev` process
def test_the_ci_example_gets_a_ready_ephemeral_namespace_with_a_ttl(dev: devserver.DevServer) -> None:
    token = subprocess.run(
        [devserver.NSAAS, "token", "--persona", "team-a-developer"],
        env={**dev.env, "NSAAS_AUTH_MODE": "dev"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()[-1]
    job = subprocess.run(
        [sys.executable, str(EXAMPLES / "ci" / "ephemeral_namespace.py"), "--team", "team-a", "--ttl", "2h"],
        env={**dev.env, "NSAAS_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert job.returncode == 0, job.stderr
    name = job.stdout.strip()
    assert name.startswith("team-a-ci-")
    show = subprocess.run(
        [devserver.NSAAS, "ns", "get", name, "-o", "yaml"],
        env={**dev.env, "NSAAS_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    shown = yaml.safe_load(show.stdout)
    assert shown["status"] == "ready"
    assert shown["expiresAt"] is not None

    refused = subprocess.run(
        [sys.executable, str(EXAMPLES / "ci" / "ephemeral_namespace.py"), "--team", "team-b", "--ttl", "999d"],
        env={**dev.env, "NSAAS_TOKEN": token},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert refused.returncode == 2
    assert "ttl:" in refused.stderr

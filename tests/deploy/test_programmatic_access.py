"""The production overlay exposes the API at /api through the gateway for bearer tokens; the UI keeps the rest."""

from __future__ import annotations

from typing import Any

import pytest
from scripts.deploycheck import manifests

from tests.deploy import conftest

GATEWAY = "cluster.local/ns/istio-ingress/sa/istio-ingressgateway"
API_HOST = "platform-api.platform-system.svc.cluster.local"
UI_HOST = "platform-ui.platform-system.svc.cluster.local"


@pytest.fixture
def production(tools: None) -> list[dict[str, Any]]:
    return manifests.build(conftest.DEPLOY, "overlays/production").objects


def _one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name)


def _destination(route: dict[str, Any]) -> str:
    return str(route["route"][0]["destination"]["host"])


def test_the_gateway_routes_api_paths_to_the_api_and_everything_else_to_the_ui(production: list[dict]) -> None:
    service = _one(production, "VirtualService", "platform-ui")
    assert service["spec"]["gateways"] == ["platform"]
    routes = service["spec"]["http"]
    api_routes = [r for r in routes if any(m.get("uri", {}).get("prefix") == "/api/" for m in r.get("match", []))]
    assert api_routes
    assert {_destination(r) for r in api_routes} == {API_HOST}
    assert all(r["route"][0]["destination"]["port"]["number"] == 3000 for r in api_routes)
    first_ui = next(i for i, r in enumerate(routes) if _destination(r) == UI_HOST)
    assert all(routes.index(r) < first_ui for r in api_routes), "the /api/ routes must come before the UI's"
    catch_all = routes[-1]
    assert "match" not in catch_all
    assert _destination(catch_all) == UI_HOST


def test_the_gateway_may_reach_only_api_paths_and_only_with_a_bearer_token_except_health(
    production: list[dict],
) -> None:
    policy = _one(production, "AuthorizationPolicy", "platform-api")
    assert policy["spec"]["action"] == "ALLOW"
    from_gateway = [
        r for r in policy["spec"]["rules"] if any(GATEWAY in f["source"].get("principals", []) for f in r["from"])
    ]
    assert len(from_gateway) == 2
    paths = {p for r in from_gateway for op in r["to"] for p in op["operation"]["paths"]}
    assert paths == {"/api/health", "/api/*"}
    open_rule = next(r for r in from_gateway if "when" not in r)
    assert open_rule["to"][0]["operation"] == {"methods": ["GET"], "paths": ["/api/health"]}
    token_rule = next(r for r in from_gateway if "when" in r)
    assert token_rule["when"] == [{"key": "request.headers[authorization]", "values": ["Bearer *"]}]


def test_azure_ad_tokens_are_verified_at_the_api_sidecar(production: list[dict]) -> None:
    auth = _one(production, "RequestAuthentication", "platform-api")
    assert auth["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "platform-api"}
    (rule,) = auth["spec"]["jwtRules"]
    identity = _one(
        manifests.load_file(conftest.DEPLOY / "overlays" / "production" / "azure-identity.yaml"),
        "ConfigMap",
        "nsaas-azure-identity",
    )["data"]
    assert rule["issuer"] == f"https://login.microsoftonline.com/{identity['tenantId']}/v2.0"
    assert rule["jwksUri"] == f"https://login.microsoftonline.com/{identity['tenantId']}/discovery/v2.0/keys"
    assert rule["audiences"] == [f"api://{identity['apiAppId']}", identity["apiAppId"]]


def test_the_network_policy_lets_the_gateway_reach_the_api_port(production: list[dict]) -> None:
    policy = _one(production, "NetworkPolicy", "platform-api")
    sources = [
        (peer.get("namespaceSelector", {}).get("matchLabels", {}), rule["ports"])
        for rule in policy["spec"]["ingress"]
        for peer in rule["from"]
    ]
    assert ({"kubernetes.io/metadata.name": "istio-ingress"}, [{"protocol": "TCP", "port": 3000}]) in sources


def test_the_readme_documents_programmatic_access_with_curl() -> None:
    readme = (conftest.REPO / "README.md").read_text()
    assert "curl https://platform.example.com/api/health" in readme
    assert 'curl -H "Authorization: Bearer $TOKEN" https://platform.example.com/api/platform/namespaces' in readme

"""kubectl access handover and the Backstage entity: what a developer gets for one namespace."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from nsaas import config
from nsaas.bundle import quota
from nsaas.domain import errors
from nsaas.services import access
from tests.support.platform import Platform, unique
from tests.support.requirements import need

TEAM_A_ADMINS = "11111111-2222-3333-4444-555555555555"


async def _ready(platform: Platform, prefix: str) -> str:
    name = unique(prefix)
    assert (await platform.call("POST", "/namespaces/request", json=platform.body(name))).status_code == 202
    assert await platform.converge(name) == "ready"
    return name


async def test_access_gives_a_context_named_after_the_namespace_with_it_set(platform: Platform) -> None:
    name = await _ready(platform, "acc")
    answer = await platform.call("GET", f"/namespaces/{name}/access")
    assert answer.status_code == 200, answer.text
    data = answer.json()["data"]
    assert data["namespace"] == data["context"] == name
    assert data["authentication"] == "dev"
    kubeconfig = yaml.safe_load(data["kubeconfig"])
    assert [c["name"] for c in kubeconfig["contexts"]] == [name]
    assert kubeconfig["contexts"][0]["context"]["namespace"] == name
    assert kubeconfig["current-context"] == name
    assert kubeconfig["clusters"][0]["cluster"]["server"] == data["cluster"]["server"]
    assert any(s["command"] == f"kubectl --context {name} get pods" for s in data["snippets"])
    roles = {r["role"]: r["subjects"] for r in data["roles"]}
    assert roles["edit"] == [f"system:serviceaccount:{name}:deployer"]
    assert roles["admin"] == roles["view"] == []


async def test_the_access_kubeconfig_works_with_kubectl(platform: Platform, tmp_path: Path) -> None:
    binary = shutil.which("kubectl")
    need("kubectl", available=binary is not None, reason="kubectl is not on PATH")
    assert binary is not None
    name = await _ready(platform, "kctl")
    path = tmp_path / "kubeconfig"
    path.write_text((await platform.call("GET", f"/namespaces/{name}/access")).json()["data"]["kubeconfig"])
    shown = await asyncio.to_thread(
        subprocess.run,
        [binary, "--kubeconfig", str(path), "--context", name, "get", "resourcequota", "-o", "name"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert shown.stdout.split() == [f"resourcequota/{quota.QUOTA_NAME}"]


async def test_another_teams_namespace_has_no_access_document(platform: Platform) -> None:
    name = await _ready(platform, "acc-foreign")
    answer = await platform.call("GET", f"/namespaces/{name}/access", persona="team-b-developer")
    assert answer.status_code == 404
    entity = await platform.call("GET", f"/namespaces/{name}/catalog-info", persona="team-b-developer")
    assert entity.status_code == 404


async def test_roles_name_the_team_groups_the_bundle_binds(platform: Platform) -> None:
    platform.settings.bundle.team_groups = {"team-a": {"admin": TEAM_A_ADMINS}}
    name = await _ready(platform, "acc-groups")
    data = (await platform.call("GET", f"/namespaces/{name}/access")).json()["data"]
    roles = {r["role"]: r["subjects"] for r in data["roles"]}
    assert roles["admin"] == [f"Group:{TEAM_A_ADMINS}"]


def test_outside_dev_mode_the_kubeconfig_signs_in_with_kubelogin_and_holds_no_secret() -> None:
    settings = config.Settings(
        auth_mode="azure-ad",
        auth=config.AuthSettings(azure_tenant_id="tenant-1"),
        access=config.AccessSettings(server="https://aks.example:443", cluster_name="prod-weu"),
    )
    service = access.AccessService(
        settings=settings, platform_endpoint=lambda: access.Endpoint(server="https://in-cluster", token="sa-token")
    )
    name, server, _, user, authentication = service._credentials()
    assert (name, server, authentication) == ("prod-weu", "https://aks.example:443", "kubelogin")
    assert "token" not in user
    assert user["exec"]["command"] == "kubelogin"
    assert user["exec"]["args"][:2] == ["get-token", "--login"]
    assert user["exec"]["args"][-2:] == ["--tenant-id", "tenant-1"]


def test_outside_dev_mode_a_missing_server_is_named() -> None:
    service = access.AccessService(settings=config.Settings(auth_mode="azure-ad"), platform_endpoint=lambda: None)
    with pytest.raises(errors.ConfigurationError) as raised:
        service._credentials()
    assert "NSAAS_ACCESS__SERVER" in raised.value.details


async def test_catalog_info_is_a_backstage_resource_owned_by_the_team_group(platform: Platform) -> None:
    platform.settings.access.grafana_url = "https://grafana.example"
    name = await _ready(platform, "bs")
    entity = (await platform.call("GET", f"/namespaces/{name}/catalog-info")).json()["data"]
    assert (entity["apiVersion"], entity["kind"]) == ("backstage.io/v1alpha1", "Resource")
    assert entity["metadata"]["name"] == name
    assert entity["spec"] == {"type": "kubernetes-namespace", "owner": "group:team-a", "system": "namespaces"}
    assert entity["metadata"]["annotations"]["backstage.io/kubernetes-namespace"] == name
    urls = {link["title"]: link["url"] for link in entity["metadata"]["links"]}
    assert urls["nsaas portal"].endswith(f"/namespaces/{name}")
    assert urls["Grafana"].startswith("https://grafana.example/d/")
    assert urls["Grafana"].endswith(f"?var-namespace={name}")
    raw = await platform.call("GET", f"/namespaces/{name}/catalog-info", params={"format": "yaml"})
    assert raw.headers["content-type"].startswith("application/yaml")
    assert yaml.safe_load(raw.text) == entity

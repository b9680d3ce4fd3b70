"""A tenant namespace cannot read the platform's secrets: stores, vaults and admission together.

The production overlay is built with kustomize. Every ClusterSecretStore a tenant namespace can use
must differ from the platform's store in vault and identity, and the admission policy (evaluated
with cel-python) must refuse any tenant ExternalSecret or PushSecret that names a platform key,
another team's key, another store, or that creates its own SecretStore.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from scripts.deploycheck import cli, manifests, secretstores

from nsaas import config
from nsaas.bundle import render
from nsaas.domain import errors
from nsaas.services import bodies
from tests.deploy import admission, conftest

POLICY_FILE = conftest.DEPLOY / "guardrails" / "tenant-secrets-policy.yaml"
TENANT = "alice@team-a.example.com"
PLATFORM_API = "system:serviceaccount:platform-system:platform-api"
ESO_CONTROLLER = "system:serviceaccount:external-secrets-system:external-secrets"
TEAM_A_NS = {
    "metadata": {"name": "team-a-dev", "labels": {"platform.io/managed": "true", "platform.io/team": "team-a"}}
}
GROUP = "external-secrets.io"


@pytest.fixture
def production(tools: None) -> list[dict[str, Any]]:
    return manifests.build(conftest.DEPLOY, "overlays/production").objects


def _external_secret(store: str, keys: list[str], *, kind: str = "ClusterSecretStore") -> dict[str, Any]:
    return {
        "apiVersion": "external-secrets.io/v1beta1",
        "kind": "ExternalSecret",
        "metadata": {"name": "mine", "namespace": "team-a-dev"},
        "spec": {
            "secretStoreRef": {"kind": kind, "name": store},
            "target": {"name": "mine"},
            "data": [{"secretKey": f"k{i}", "remoteRef": {"key": key}} for i, key in enumerate(keys)],
        },
    }


def _refusals(obj: dict[str, Any], *, resource: str = "externalsecrets", user: str = TENANT) -> list[str]:
    return admission.failures(
        admission.policy(POLICY_FILE),
        user=user,
        operation="CREATE",
        resource=resource,
        group=GROUP,
        old=None,
        new=obj,
        namespace=TEAM_A_NS,
    )


def test_no_store_a_tenant_namespace_can_use_resolves_any_platform_key(production: list[dict[str, Any]]) -> None:
    stores = {o["metadata"]["name"]: o for o in production if o["kind"] == "ClusterSecretStore"}
    used = secretstores.platform_keys(production)
    platform_keys = set().union(*used.values())
    assert {"jwt-secret", "db-password", "azure-client-secret", "session-secret"} <= platform_keys
    reachable = secretstores.tenant_stores(production)
    assert [s["metadata"]["name"] for s in reachable] == ["tenant-keyvault"]
    platform_backends = {secretstores.backend(stores[name]) for name in used}
    for store in reachable:
        assert store["metadata"]["name"] not in used
        vault, identity = secretstores.backend(store)
        assert all(vault != v and identity != i for v, i in platform_backends)
    # And through admission: whatever store a tenant names, a platform key is refused.
    for store in [*stores, "anything"]:
        for key in sorted(platform_keys):
            assert _refusals(_external_secret(store, [key])), (store, key)


def test_the_platform_store_admits_only_the_platform_namespaces(production: list[dict[str, Any]]) -> None:
    store = next(
        o for o in production if o["kind"] == "ClusterSecretStore" and o["metadata"]["name"] == "platform-keyvault"
    )
    assert secretstores.admits(store, name="platform-system", labels={})
    assert secretstores.admits(store, name="argo", labels={})
    assert not secretstores.admits(store, name="team-a-dev", labels=TEAM_A_NS["metadata"]["labels"])


def test_a_tenant_may_read_its_own_teams_keys_from_the_tenant_store() -> None:
    assert _refusals(_external_secret("tenant-keyvault", ["team-a--api-key", "team-a--db"])) == []


@pytest.mark.parametrize("key", ["team-b--api-key", "team-a-b--x", "team-api-key", "secret/team-a--x", "jwt-secret"])
def test_a_tenant_cannot_read_keys_outside_its_teams_prefix(key: str) -> None:
    assert _refusals(_external_secret("tenant-keyvault", ["team-a--fine", key]))


def test_a_tenant_cannot_name_the_platform_store_or_a_namespaced_store() -> None:
    assert _refusals(_external_secret("platform-keyvault", ["team-a--x"]))
    assert _refusals(_external_secret("tenant-keyvault", ["team-a--x"], kind="SecretStore"))
    missing = _external_secret("tenant-keyvault", ["team-a--x"])
    missing["spec"].pop("secretStoreRef")
    assert _refusals(missing)


def test_a_tenant_cannot_redirect_one_entry_to_another_store_or_a_generator() -> None:
    redirected = _external_secret("tenant-keyvault", ["team-a--x"])
    redirected["spec"]["data"][0]["sourceRef"] = {
        "storeRef": {"kind": "ClusterSecretStore", "name": "platform-keyvault"}
    }
    assert _refusals(redirected)
    generated = _external_secret("tenant-keyvault", ["team-a--x"])
    generated["spec"]["data"][0]["sourceRef"] = {"generatorRef": {"kind": "ACRAccessToken", "name": "acr"}}
    assert _refusals(generated)


def test_a_tenant_cannot_search_or_extract_beyond_its_prefix() -> None:
    search = _external_secret("tenant-keyvault", [])
    search["spec"]["dataFrom"] = [{"find": {"name": {"regexp": "^team-a--.*"}}}]
    assert _refusals(search)
    extract = _external_secret("tenant-keyvault", [])
    extract["spec"]["dataFrom"] = [{"extract": {"key": "db-password"}}]
    assert _refusals(extract)
    own = _external_secret("tenant-keyvault", [])
    own["spec"]["dataFrom"] = [{"extract": {"key": "team-a--bundle"}}]
    assert _refusals(own) == []


def test_a_tenant_cannot_create_a_secret_store_of_its_own() -> None:
    store = {
        "kind": "SecretStore",
        "metadata": {"name": "mine", "namespace": "team-a-dev"},
        "spec": {
            "provider": {
                "azurekv": {"authType": "ManagedIdentity", "vaultUrl": "https://nsaas-prod-kv.vault.azure.net"}
            }
        },
    }
    assert _refusals(store, resource="secretstores")


def test_a_push_secret_writes_only_its_teams_keys_to_the_tenant_store() -> None:
    def push(store: str, key: str) -> dict[str, Any]:
        return {
            "kind": "PushSecret",
            "metadata": {"name": "p", "namespace": "team-a-dev"},
            "spec": {
                "secretStoreRefs": [{"kind": "ClusterSecretStore", "name": store}],
                "selector": {"secret": {"name": "s"}},
                "data": [{"match": {"secretKey": "k", "remoteRef": {"remoteKey": key}}}],
            },
        }

    assert _refusals(push("tenant-keyvault", "team-a--out"), resource="pushsecrets") == []
    assert _refusals(push("tenant-keyvault", "team-b--out"), resource="pushsecrets")
    assert _refusals(push("platform-keyvault", "team-a--out"), resource="pushsecrets")
    assert _refusals(push("tenant-keyvault", "jwt-secret"), resource="pushsecrets")


def test_an_external_secret_made_by_a_cluster_external_secret_is_checked_too() -> None:
    assert _refusals(_external_secret("platform-keyvault", ["jwt-secret"]), user=ESO_CONTROLLER)


def test_the_bundles_database_credentials_pass_the_policy() -> None:
    spec = bodies.parse_spec(
        {
            "namespaceName": "team-a-dev",
            "team": "team-a",
            "environment": "development",
            "resourceTier": "small",
            "networkPolicy": "isolated",
            "features": ["database-access"],
        }
    )
    bundle = render.render_bundle(spec, config.Settings(), request_id="r1", requested_by="alice")
    namespace = next(m for m in bundle.manifests if m["kind"] == "Namespace")
    secret = next(m for m in bundle.manifests if m["kind"] == "ExternalSecret")
    found = admission.failures(
        admission.policy(POLICY_FILE),
        user=PLATFORM_API,
        operation="CREATE",
        resource="externalsecrets",
        group=GROUP,
        old=None,
        new=secret,
        namespace=namespace,
    )
    assert found == []


def test_the_policy_names_the_configured_store_and_label_prefix() -> None:
    text = POLICY_FILE.read_text()
    assert f"\"'{config.BundleSettings().secret_store}'\"" in text
    assert f"'{config.LabelSettings().prefix}/team'" in text
    configmap = yaml.safe_load((conftest.DEPLOY / "platform-api" / "configmap.yaml").read_text())
    assert configmap["data"]["NSAAS_BUNDLE__SECRET_STORE"] == config.BundleSettings().secret_store


def test_team_names_cannot_hold_a_double_dash_so_prefixes_never_overlap() -> None:
    for team in ("a--b", "-a", "a-"):
        with pytest.raises(errors.ValidationFailed) as refused:
            bodies.parse_spec(
                {
                    "namespaceName": "x-dev",
                    "team": team,
                    "environment": "development",
                    "resourceTier": "small",
                    "networkPolicy": "isolated",
                }
            )
        assert "team" in refused.value.details


def test_the_validator_names_a_tenant_store_that_shares_the_platform_vault(deploy_copy: Path) -> None:
    path = deploy_copy / "external-secrets" / "clustersecretstore.yaml"
    docs = list(yaml.safe_load_all(path.read_text()))
    widened = copy.deepcopy(docs[0])
    widened["spec"]["conditions"].append({"namespaceSelector": {"matchLabels": {"platform.io/managed": "true"}}})
    path.write_text(yaml.safe_dump_all([widened, docs[1]], sort_keys=False))
    text = "\n".join(str(p) for p in cli.validate(deploy_copy, targets=("overlays/production",)))
    assert "ClusterSecretStore/platform-keyvault: platform secrets are read through a store tenants can use" in text

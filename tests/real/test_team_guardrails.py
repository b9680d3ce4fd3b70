"""Per-team allow-lists proven on a real API server: with ``deploy/guardrails`` applied and a team's
registry allow-lists rendered onto its Namespace, a tenant of that team cannot create a
PersistentVolumeClaim with a forbidden StorageClass, an Ingress of a forbidden class or a Pod from a
foreign registry; what the lists allow goes through, and a namespace without lists is unrestricted.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from lightkube import ApiError, AsyncClient
from lightkube.models.core_v1 import (
    Capabilities,
    Container,
    PersistentVolumeClaimSpec,
    PodSpec,
    SeccompProfile,
    SecurityContext,
    VolumeResourceRequirements,
)
from lightkube.models.meta_v1 import ObjectMeta
from lightkube.models.networking_v1 import IngressBackend, IngressServiceBackend, IngressSpec, ServiceBackendPort
from lightkube.resources.core_v1 import PersistentVolumeClaim, Pod
from lightkube.resources.networking_v1 import Ingress

from nsaas import config
from nsaas.adapters.kube import cluster
from nsaas.bundle import render
from nsaas.domain import requests, teams
from tests.kube.conftest import cluster_settings
from tests.real.test_guardrails import TEAM_GROUPS, _as, _denied

pytestmark = pytest.mark.real

GUARDRAILS = teams.NamespaceRules(
    storage_classes=("standard", "zrs"),
    ingress_classes=("internal",),
    registries=("registry.example.com/team-a/",),
)
POLICY = "ValidatingAdmissionPolicy 'nsaas-team-allow-lists'"


def _pvc(ns: str, storage_class: str) -> PersistentVolumeClaim:
    return PersistentVolumeClaim(
        metadata=ObjectMeta(name=f"data-{storage_class}", namespace=ns),
        spec=PersistentVolumeClaimSpec(
            accessModes=["ReadWriteOnce"],
            storageClassName=storage_class,
            resources=VolumeResourceRequirements(requests={"storage": "1Gi"}),
        ),
    )


def _ingress(ns: str, ingress_class: str) -> Ingress:
    backend = IngressBackend(service=IngressServiceBackend(name="web", port=ServiceBackendPort(number=80)))
    return Ingress(
        metadata=ObjectMeta(name=f"web-{ingress_class}", namespace=ns),
        spec=IngressSpec(ingressClassName=ingress_class, defaultBackend=backend),
    )


def _pod(ns: str, image: str) -> Pod:
    """A Pod the namespace's Pod Security level (restricted) admits, so only the registry can refuse it."""
    secure = SecurityContext(
        allowPrivilegeEscalation=False,
        runAsNonRoot=True,
        capabilities=Capabilities(drop=["ALL"]),
        seccompProfile=SeccompProfile(type="RuntimeDefault"),
    )
    return Pod(
        metadata=ObjectMeta(name="web", namespace=ns),
        spec=PodSpec(containers=[Container(name="web", image=image, securityContext=secure)]),
    )


async def _provision(platform_kubeconfig: Path, name: str, rules: teams.NamespaceRules) -> cluster.Cluster:
    spec = requests.NamespaceSpec(
        name=name, team="team-a", environment="development", tier="small", network_policy="isolated"
    )
    settings = config.Settings(bundle=config.BundleSettings(team_groups=TEAM_GROUPS))
    bundle = render.render_bundle(
        spec, settings, request_id=f"req-{name}", requested_by="alice@example.com", team_rules=rules
    )
    platform = cluster.Cluster.from_settings(cluster_settings(platform_kubeconfig))
    result = await platform.apply(bundle=bundle)
    assert not result.failed, result.failed
    return platform


async def _remove(platform: cluster.Cluster, name: str) -> None:
    await platform.delete_namespace(
        name=name,
        request_id=f"req-{name}",
        managed_label=("platform.io/managed", "true"),
        request_id_label="platform.io/request-id",
    )
    await platform.aclose()


async def _policy_active(admin: AsyncClient, ns: str) -> None:
    """Wait until the API server has compiled the policy: a dry-run create only it refuses."""
    for _ in range(100):
        try:
            await admin.create(_pvc(ns, "premium"), dry_run=True)
        except ApiError as exc:
            if exc.status.code in (403, 422) and POLICY in (exc.status.message or ""):
                return
            raise
        await asyncio.sleep(0.1)
    pytest.fail("the team allow-list policy did not take effect within 10 s")


@pytest.fixture
async def restricted(platform_kubeconfig: Path, admin: AsyncClient, guardrails: None) -> AsyncIterator[str]:
    name = f"tg-{uuid.uuid4().hex[:10]}"
    platform = await _provision(platform_kubeconfig, name, GUARDRAILS)
    try:
        await _policy_active(admin, name)
        yield name
    finally:
        await _remove(platform, name)


@pytest.fixture(params=["admin", "developer"])
async def tenant(request: pytest.FixtureRequest, real_kubeconfig: Path) -> AsyncIterator[AsyncClient]:
    client = _as(real_kubeconfig, "alice@example.com", TEAM_GROUPS["team-a"][request.param])
    yield client
    await client.aclose()


async def _refusal(call: Callable[[], Any]) -> str:
    refused = await _denied(call)
    assert refused.status.code == 403, refused.status
    message = refused.status.message or ""
    assert POLICY in message, message
    return message


async def test_a_forbidden_storage_class_ingress_class_or_registry_is_refused(
    tenant: AsyncClient, restricted: str
) -> None:
    ns = restricted
    storage = await _refusal(lambda: tenant.create(_pvc(ns, "premium")))
    assert 'storage class "premium" is not allowed for this team; allowed: standard,zrs' in storage
    ingress = await _refusal(lambda: tenant.create(_ingress(ns, "public")))
    assert 'ingress class "public" is not allowed for this team; allowed: internal' in ingress
    image = await _refusal(lambda: tenant.create(_pod(ns, "docker.io/library/nginx:1.27"), dry_run=True))
    assert "refused: docker.io/library/nginx:1.27" in image
    # A name that only starts like an allowed registry is still foreign.
    await _refusal(lambda: tenant.create(_pod(ns, "registry.example.com/team-b/web:1"), dry_run=True))


async def test_what_the_team_allows_goes_through(tenant: AsyncClient, restricted: str) -> None:
    ns = restricted
    assert (await tenant.create(_pvc(ns, "zrs"))).metadata.name == "data-zrs"
    assert (await tenant.create(_ingress(ns, "internal"))).metadata.name == "web-internal"
    pod = await tenant.create(_pod(ns, "registry.example.com/team-a/web:1"), dry_run=True)
    assert pod.metadata.name == "web"


async def test_a_namespace_of_a_team_without_lists_is_unrestricted(
    platform_kubeconfig: Path, admin: AsyncClient, guardrails: None, tenant: AsyncClient
) -> None:
    name = f"tg-{uuid.uuid4().hex[:10]}"
    platform = await _provision(platform_kubeconfig, name, teams.NamespaceRules())
    try:
        created = await tenant.create(_pvc(name, "premium"))
        assert created.metadata.name == "data-premium"
    finally:
        await _remove(platform, name)

"""Building the lightkube client, and the resource classes for every kind nsaas touches.

One code path for a real AKS cluster and for the embedded simulator: both are reached through
a kubeconfig (the simulator writes one) or a server URL and bearer token. Resolution order for
:func:`connect`, matching kubectl's habits and the documented ``NSAAS_KUBECONFIG`` contract:

1. an explicit kubeconfig path (``NSAAS_KUBECONFIG`` / ``settings.kubeconfig``), with the
   optional context ``settings.cluster.context``;
2. otherwise the in-cluster service account (the platform running as a pod);
3. otherwise ``KUBECONFIG`` or ``~/.kube/config``.

Built-in kinds use lightkube's typed resources (from its own registry); custom resources
(Istio, Prometheus operator, External Secrets, Velero, Argo) use lightkube generic resources
built from :data:`nsaas.bundle.model.KINDS`. Callers never see either: :func:`to_manifest`
turns every response into a plain dict.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, TypeAlias

import httpx2
import yaml
from lightkube import AsyncClient, ConfigError, KubeConfig, SingleConfig
from lightkube.config import client_adapter
from lightkube.config import models as config_models
from lightkube.core import resource as lk_resource
from lightkube.core.resource_registry import resource_registry
from lightkube.generic_resource import create_global_resource, create_namespaced_resource

from nsaas import config
from nsaas.adapters.kube import results
from nsaas.bundle import model
from nsaas.domain import errors

#: A lightkube resource class (typed built-in or generic custom resource).
ResourceType: TypeAlias = type[lk_resource.NamespacedResource] | type[lk_resource.GlobalResource]

#: Argo Workflows kinds: the argo engine creates Workflows and loads WorkflowTemplates.
WORKFLOW = model.Kind("argoproj.io/v1alpha1", "Workflow", "workflows")
WORKFLOW_TEMPLATE = model.Kind("argoproj.io/v1alpha1", "WorkflowTemplate", "workflowtemplates")
#: The GitOps request resource: read and watched, only its status is ever written.
NAMESPACE_REQUEST = model.Kind("platform.io/v1alpha1", "NamespaceRequest", "namespacerequests")
KNOWN_KINDS: tuple[model.Kind, ...] = (*model.KINDS, WORKFLOW, WORKFLOW_TEMPLATE, NAMESPACE_REQUEST)


def required_api_versions(engine: str) -> set[str]:
    """The group versions a cluster must serve for nsaas: every bundle kind's, and Argo's for that engine."""
    kinds = (*model.KINDS, WORKFLOW, WORKFLOW_TEMPLATE) if engine == "argo" else model.KINDS
    return {k.api_version for k in kinds}


_BY_KEY = {(k.api_version, k.kind): k for k in KNOWN_KINDS}


def _is_builtin(kind: model.Kind) -> bool:
    return kind.group == "" or kind.group.endswith(".k8s.io")


@functools.cache
def resource_class(api_version: str, kind: str) -> ResourceType:
    """The lightkube class for ``(apiVersion, kind)``; ClusterRejected for a kind nsaas does not manage.

    Refusing unknown kinds here is a safety property: the platform can only ever write the kinds
    listed in :data:`KNOWN_KINDS`, whatever manifest reaches it.
    """
    known = _BY_KEY.get((api_version, kind))
    if known is None:
        raise errors.ClusterRejected(f"kind {kind} ({api_version}) is not one nsaas manages")
    if _is_builtin(known):
        loaded: ResourceType = resource_registry.load(api_version, kind)
        return loaded
    create = create_namespaced_resource if known.namespaced else create_global_resource
    return create(known.group, known.version, known.kind, known.plural)


def kind_info(api_version: str, kind: str) -> model.Kind:
    known = _BY_KEY.get((api_version, kind))
    if known is None:
        raise errors.ClusterRejected(f"kind {kind} ({api_version}) is not one nsaas manages")
    return known


def to_manifest(obj: Any) -> results.Manifest:
    """A lightkube object (typed model or generic dict) as a plain JSON-like dict."""
    if isinstance(obj, Mapping) and not hasattr(obj, "to_dict"):
        return dict(obj)
    as_dict = obj.to_dict()
    if not isinstance(as_dict, dict):
        raise errors.ClusterError(f"unexpected object from the API server: {type(obj).__name__}")
    return as_dict


def from_manifest(manifest: Mapping[str, Any]) -> Any:
    """The lightkube object for a manifest dict (needed by ``create``, which wants an instance)."""
    cls: Any = resource_class(manifest["apiVersion"], manifest["kind"])  # typed model or generic: both have from_dict
    return cls.from_dict(dict(manifest), lazy=False)


def _timeout(settings: config.ClusterSettings) -> httpx2.Timeout:
    return httpx2.Timeout(settings.request_timeout_seconds)


def pool_size(settings: config.Settings) -> int:
    """Connections kept to the API server: as configured, else one per concurrent reconcile step."""
    return settings.cluster.max_connections or settings.engines.max_concurrent_steps


def _transport(single: SingleConfig, settings: config.Settings) -> httpx2.AsyncHTTPTransport:
    """A transport whose every connection is kept alive (keep-alive limit = connection limit).

    httpx's default keeps 20 of up to 100 connections: a worker running 20 drift checks of a dozen
    concurrent GETs each opened and closed dozens of TLS connections per pass. With the limits
    equal, a request beyond the pool waits for a free connection instead. Certificate trust and
    client certificates come from lightkube's own ``verify_cluster``, as without a transport.
    """
    assert single.user is not None  # checked by _client
    size = pool_size(settings)
    limits = httpx2.Limits(
        max_connections=size, max_keepalive_connections=size, keepalive_expiry=settings.cluster.keepalive_seconds
    )
    verify = client_adapter.verify_cluster(single.cluster, single.user, single.abs_file)
    return httpx2.AsyncHTTPTransport(verify=verify, limits=limits)


def _client(
    single: SingleConfig | None, settings: config.Settings, transport: httpx2.AsyncBaseTransport | None = None
) -> AsyncClient:
    if single is None or single.user is None:
        raise errors.ConfigurationError("the Kubernetes client configuration has no current context or user")
    cluster = settings.cluster
    return AsyncClient(
        single,
        timeout=_timeout(cluster),
        field_manager=cluster.field_manager,
        transport=transport or _transport(single, settings),
    )


def load(settings: config.Settings) -> SingleConfig:
    """The configured kubeconfig's context, else in-cluster config, else ``KUBECONFIG``/default."""
    try:
        kubeconfig = KubeConfig.from_file(settings.kubeconfig) if settings.kubeconfig else KubeConfig.from_env()
        single = kubeconfig.get(context_name=settings.cluster.context)
    except (ConfigError, OSError, KeyError, ValueError, yaml.YAMLError) as exc:
        raise errors.ConfigurationError(f"cannot load Kubernetes client configuration: {exc}") from exc
    if single is None:  # only returned when a default is passed, which it is not here
        raise errors.ConfigurationError("cannot load Kubernetes client configuration: no context")
    return single


def connect(*, settings: config.Settings) -> AsyncClient:
    """A client for :func:`load`'s configuration."""
    return _client(load(settings), settings)


def connect_to(
    *,
    server: str,
    token: str,
    settings: config.Settings,
    ca_file: str | None = None,
    insecure: bool = False,
    transport: httpx2.AsyncBaseTransport | None = None,
) -> AsyncClient:
    """A client for an API server URL and bearer token (the simulator, or a service account token).

    ``transport`` replaces the network (tests script API server answers with ``httpx2.MockTransport``).
    """
    cluster = config_models.Cluster(server=server, certificate_auth=ca_file, insecure=insecure)
    user = config_models.User(token=token)
    single = KubeConfig.from_one(cluster=cluster, user=user, context_name="nsaas").get()
    return _client(single, settings, transport)

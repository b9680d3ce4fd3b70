"""Render a namespace request into its :class:`~nsaas.bundle.model.Bundle`. Pure: no I/O.

Same inputs, same bundle: the manifests are built from the spec, the settings, the request id,
the requester, the team's registry rules and the bundle template version's parameters only,
ordered by :data:`model.KINDS` (then namespace and name), and hashed.
The digest is SHA-256 over canonical JSON (sorted keys, no whitespace) of every manifest with
the ``<prefix>/bundle-digest`` annotation removed; the annotation is then set to that digest on
the Namespace, so anyone holding the manifests (the reconciler, comparing what is applied with
what should be) can recompute it with :func:`digest_of`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

from nsaas.bundle import backup, context, guard, istio, model, monitoring, namespace, network, quota, rbac, secrets
from nsaas.domain import requests, teams, templates

DIGEST_ANNOTATION = "bundle-digest"


def render_bundle(
    spec: requests.NamespaceSpec,
    settings: context.RenderSettings,
    *,
    request_id: str,
    requested_by: str,
    team_rules: teams.NamespaceRules = teams.UNRESTRICTED,
    template: templates.BundleParameters | None = None,
) -> model.Bundle:
    """``settings`` needs only ``bundle`` and ``labels`` (see :class:`context.RenderSettings`);
    ``team_rules`` are what the team's registry entry puts into each of its namespaces (allow-list
    annotations, RoleBindings of its groups; none by default); ``template`` is the parameters of the
    bundle template version the namespace runs (None: the built-in version 1, from the settings)."""
    ctx = context.RenderContext(
        spec=spec,
        settings=settings,
        request_id=request_id,
        requested_by=requested_by,
        team_rules=team_rules,
        parameters=template,
    )
    manifests = _ordered(_all(ctx))
    guard.check(manifests, ctx=ctx)
    digest = digest_of(manifests)
    manifests[0]["metadata"]["annotations"][ctx.key(DIGEST_ANNOTATION)] = digest
    # Home namespaces of kinds that live outside the tenant's (Velero's) are named even when this
    # bundle has no such object, so that dropping a feature prunes the object left there.
    homes = {getattr(settings.bundle, k.home_namespace_setting) for k in model.KINDS if k.home_namespace_setting}
    placed = {m["metadata"]["namespace"] for m in manifests if m["metadata"].get("namespace")}
    extra = sorted((placed | homes) - {spec.name})
    return model.Bundle(
        namespace=spec.name,
        request_id=request_id,
        manifests=tuple(manifests),
        digest=digest,
        selector=ctx.selector,
        extra_namespaces=tuple(extra),
    )


def _all(ctx: context.RenderContext) -> list[model.Manifest]:
    return [
        namespace.namespace(ctx),
        rbac.service_account(ctx),
        quota.resource_quota(ctx),
        quota.limit_range(ctx),
        *rbac.role_bindings(ctx),
        *network.policies(ctx),
        *istio.objects(ctx),
        *monitoring.objects(ctx),
        *secrets.objects(ctx),
        *backup.objects(ctx),
    ]


def _ordered(manifests: Iterable[model.Manifest]) -> list[model.Manifest]:
    """Sorted into apply order, each a fresh plain-JSON tree (no structure shared between objects)."""

    def key(m: model.Manifest) -> tuple[int, str, str]:
        meta = m["metadata"]
        return model.KIND_ORDER[(m["apiVersion"], m["kind"])], meta.get("namespace", ""), meta["name"]

    return sorted((json.loads(json.dumps(m)) for m in manifests), key=key)


def digest_of(manifests: Sequence[model.Manifest]) -> str:
    """SHA-256 (hex) of the canonical JSON of ``manifests``, ignoring the digest annotation."""
    canonical = json.dumps([without_digest(m) for m in manifests], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def without_digest(manifest: model.Manifest) -> model.Manifest:
    annotations: dict[str, str] = manifest["metadata"].get("annotations", {})
    suffix = f"/{DIGEST_ANNOTATION}"
    if manifest["kind"] != "Namespace" or not any(k.endswith(suffix) for k in annotations):
        return manifest
    kept = {k: v for k, v in annotations.items() if not k.endswith(suffix)}
    return {**manifest, "metadata": {**manifest["metadata"], "annotations": kept}}


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line strings (PromQL) and no anchors: YAML that reads hand-written."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> Any:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def to_yaml(bundle: model.Bundle) -> str:
    """Multi-document YAML, keys sorted (``apiVersion``, ``kind``, ``metadata``, ``spec`` ...)."""
    return yaml.dump_all(
        bundle.manifests, Dumper=_Dumper, sort_keys=True, explicit_start=True, allow_unicode=True, width=1000
    )

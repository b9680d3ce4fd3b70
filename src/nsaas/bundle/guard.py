"""The last line of defence: refuse to hand out a bundle that breaks tenancy.

The renderer's modules are written to produce only safe objects, but their inputs include
operator configuration (team group IDs, namespaces) and future edits. Before a bundle leaves
:func:`nsaas.bundle.render.render_bundle` every manifest is checked against the attacks a
tenancy platform must refuse (REFERENCE.md): cluster-scoped objects other than the tenant's own
Namespace, objects in namespaces other than the tenant's (or a kind's fixed home, such as
Velero's), bindings to anything but ``admin``/``edit``/``view``, ``cluster-admin`` above all,
subjects that name whole populations (``system:authenticated``, ``system:serviceaccounts`` ...),
service accounts of other namespaces, backups that reach beyond the namespace, and objects
without the selector labels that pruning relies on. A violation is a bug or a misconfiguration,
never a user error, so it raises :class:`UnsafeBundle` listing every problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from nsaas.bundle import context, model
from nsaas.domain import errors

ALLOWED_CLUSTER_ROLES = frozenset({"admin", "edit", "view"})
SUBJECT_KINDS = frozenset({"User", "Group", "ServiceAccount"})
#: Subject names Kubernetes reserves for itself: every ``system:`` name is a built-in population
#: or component identity (system:authenticated, system:masters, system:serviceaccounts:<ns> ...).
RESERVED_SUBJECT_PREFIX = "system:"


class UnsafeBundle(errors.NsaasError):
    code = "unsafe_bundle"


def check(manifests: Iterable[model.Manifest], *, ctx: context.RenderContext) -> None:
    problems: dict[str, str] = {}
    for manifest in manifests:
        found = list(_problems(manifest, ctx))
        if found:
            meta = manifest.get("metadata", {})
            problems[f"{manifest.get('kind')}/{meta.get('namespace', '')}/{meta.get('name')}"] = "; ".join(found)
    if problems:
        raise UnsafeBundle(f"refusing to render an unsafe bundle ({len(problems)} object(s))", details=problems)


def _problems(manifest: model.Manifest, ctx: context.RenderContext) -> Iterable[str]:
    key = (manifest.get("apiVersion"), manifest.get("kind"))
    if key not in model.KIND_ORDER:
        yield f"{key[0]} {key[1]} is not a kind a bundle may contain"
        return
    kind = model.kind_of(manifest)
    yield from _placement(manifest, kind, ctx)
    labels: Mapping[str, str] = manifest["metadata"].get("labels", {})
    if any(labels.get(k) != v for k, v in ctx.selector.items()):
        yield "lacks the bundle's selector labels"
    if kind.kind == "RoleBinding":
        yield from _binding(manifest, ctx)
    if kind.kind == "Schedule":
        yield from _schedule(manifest, ctx)


def _placement(manifest: model.Manifest, kind: model.Kind, ctx: context.RenderContext) -> Iterable[str]:
    meta = manifest["metadata"]
    if not kind.namespaced:
        if meta.get("name") != ctx.namespace:
            yield "is cluster-scoped and is not the tenant's own Namespace"
        return
    allowed = {ctx.namespace}
    if kind.home_namespace_setting:
        allowed = {str(getattr(ctx.bundle, kind.home_namespace_setting))}
    if meta.get("namespace") not in allowed:
        yield f"must be in namespace {' or '.join(sorted(allowed))}, not {meta.get('namespace')!r}"


def _binding(manifest: model.Manifest, ctx: context.RenderContext) -> Iterable[str]:
    ref = manifest.get("roleRef", {})
    if ref.get("kind") != "ClusterRole" or ref.get("name") not in ALLOWED_CLUSTER_ROLES:
        yield f"binds {ref.get('kind')} {ref.get('name')!r}; only ClusterRoles admin, edit, view are allowed"
    subjects = manifest.get("subjects") or []
    if not subjects:
        yield "has no subjects"
    for subject in subjects:
        yield from _subject(subject, ctx)


def _subject(subject: Mapping[str, Any], ctx: context.RenderContext) -> Iterable[str]:
    kind, name = subject.get("kind"), str(subject.get("name", ""))
    if kind not in SUBJECT_KINDS:
        yield f"subject kind {kind!r} is not allowed"
    if not name or name == "*" or name.startswith(RESERVED_SUBJECT_PREFIX):
        yield f"subject {kind} {name!r} is a broad or system identity"
    if kind == "ServiceAccount" and subject.get("namespace") != ctx.namespace:
        yield f"subject ServiceAccount {name!r} belongs to another namespace"


def _schedule(manifest: model.Manifest, ctx: context.RenderContext) -> Iterable[str]:
    template = manifest.get("spec", {}).get("template", {})
    if template.get("includedNamespaces") != [ctx.namespace]:
        yield f"backs up {template.get('includedNamespaces')!r}, not exactly [{ctx.namespace!r}]"
    if template.get("includeClusterResources") is not False:
        yield "must exclude cluster-scoped resources"

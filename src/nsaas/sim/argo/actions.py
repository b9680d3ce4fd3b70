"""Argo ``resource`` templates: one Kubernetes call, then optional success/failure conditions.

Actions: ``apply`` (server-side apply as field manager ``argo``), ``create``, ``replace``,
``delete`` (a missing object is fine, like Argo's ``--ignore-not-found``), ``get`` and ``patch``
(``mergeStrategy`` ``merge`` / ``strategic`` as a JSON merge patch, ``json`` as a JSON patch). As with
Argo's ``kubectl patch``, a patch takes its target from ``flags: [type, name]`` (plus ``-n ns``) when
given, the manifest being only the patch; otherwise from the manifest's apiVersion, kind and name.
A JSON patch always needs the flags. With a ``successCondition`` the step
waits, as Argo does, until the object satisfies it (or the ``failureCondition``), up to
the template's ``activeDeadlineSeconds`` (default 30 s, not scaled).
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import time
from collections.abc import Mapping
from typing import Any

import yaml

from nsaas.sim import api, errors, resources
from nsaas.sim.argo import expressions

MANAGER = "argo"
POLL_SECONDS = 0.01
DEFAULT_WAIT_SECONDS = 30.0


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    phase: str  # Succeeded, Failed or Error
    message: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class Target:
    rt: resources.ResourceType
    namespace: str
    name: str


class StepError(Exception):
    """The template itself is unusable (bad manifest, unknown kind): the node is Error, not Failed."""


def _manifest(text: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise StepError(f"the manifest is not valid YAML: {exc}") from exc


def _find_type(registry: resources.Registry, word: str) -> resources.ResourceType:
    word = word.lower()
    for rt in registry.all():
        names = {rt.plural, rt.singular, rt.kind.lower(), rt.key, *rt.short_names}
        if word in names:
            return rt
    raise StepError(f'the server doesn\'t have a resource type "{word}"')


def _target(kube: api.Api, manifest: Any, default_namespace: str) -> Target:
    if not isinstance(manifest, Mapping):
        raise StepError("the manifest must be a single object")
    rt = kube.registry.by_kind(str(manifest.get("apiVersion", "")), str(manifest.get("kind", "")))
    if rt is None:
        raise StepError(f"no resource type for apiVersion {manifest.get('apiVersion')} kind {manifest.get('kind')}")
    meta = manifest.get("metadata") or {}
    namespace = str(meta.get("namespace") or default_namespace) if rt.namespaced else ""
    return Target(rt, namespace, str(meta.get("name") or ""))


def _flag_target(kube: api.Api, flags: list[str], default_namespace: str) -> Target:
    positional = [f for f in flags if not f.startswith("-")]
    namespace = default_namespace
    for flag, value in itertools.pairwise(flags):
        if flag in ("-n", "--namespace"):
            namespace = value
            positional.remove(value)
    if len(positional) < 2:
        raise StepError("a patch by flags needs flags: [type, name]")
    rt = _find_type(kube.registry, positional[0])
    return Target(rt, namespace if rt.namespaced else "", positional[1])


def _act(kube: api.Api, action: str, spec: Mapping[str, Any], manifest: Any, target: Target) -> dict[str, Any] | None:
    rt, ns, name = target.rt, target.namespace, target.name
    if action == "get":
        return kube.get(rt, ns, name)
    if action == "create":
        return kube.create(rt, ns, manifest, manager=MANAGER)
    if action == "apply":
        return kube.apply(rt, ns, name, manifest, manager=MANAGER)[0]
    if action == "replace":
        return kube.update(rt, ns, name, manifest, manager=MANAGER)
    if action == "delete":
        try:
            kube.delete(rt, ns, name)
        except errors.ApiError as exc:
            if exc.code != 404:
                raise
        return None
    if action == "patch":
        strategy = "json" if spec.get("mergeStrategy") == "json" else "merge"
        return kube.patch(rt, ns, name, manifest, patch_type=strategy, manager=MANAGER)
    raise StepError(f"unsupported resource action {action!r}")


async def run(
    kube: api.Api,
    *,
    spec: Mapping[str, Any],
    scope: Mapping[str, Any],
    namespace: str,
    deadline_seconds: float | None = None,
) -> Outcome:
    """Run one resource template in the workflow's namespace; never raises for step failures."""
    action = str(spec.get("action", ""))
    try:
        manifest = _manifest(expressions.substitute(str(spec.get("manifest", "")), scope))
        flags = [expressions.substitute(str(f), scope) for f in spec.get("flags") or []]
        if action == "patch" and (flags or spec.get("mergeStrategy") == "json"):
            target = _flag_target(kube, flags, namespace)
        else:
            target = _target(kube, manifest, namespace)
        obj = _act(kube, action, spec, manifest, target)
    except (StepError, expressions.ExpressionError) as exc:
        return Outcome("Error", str(exc))
    except errors.ApiError as exc:
        return Outcome("Failed", f"Error from server ({exc.reason}): {exc.message}")
    name = obj["metadata"]["name"] if obj is not None else target.name
    if obj is None or not (spec.get("successCondition") or spec.get("failureCondition")):
        return Outcome("Succeeded", f"{action} {target.rt.qualified}/{name}")
    return await _wait(kube, spec, scope, Target(target.rt, target.namespace, name), deadline_seconds)


async def _wait(
    kube: api.Api, spec: Mapping[str, Any], scope: Mapping[str, Any], target: Target, deadline_seconds: float | None
) -> Outcome:
    try:
        success = expressions.substitute(str(spec.get("successCondition") or ""), scope)
        failure = expressions.substitute(str(spec.get("failureCondition") or ""), scope)
    except expressions.ExpressionError as exc:
        return Outcome("Error", str(exc))
    deadline = time.monotonic() + (deadline_seconds or DEFAULT_WAIT_SECONDS)
    while True:
        obj = kube.store.get(target.rt, target.namespace, target.name)
        if obj is None:
            return Outcome("Failed", f'{target.rt.qualified} "{target.name}" not found')
        try:
            if failure and expressions.condition(obj, failure):
                return Outcome("Failed", f"failure condition '{failure}' met")
            if not success or expressions.condition(obj, success):
                return Outcome("Succeeded", f"success condition '{success}' met" if success else "")
        except expressions.ExpressionError as exc:
            return Outcome("Error", str(exc))
        if time.monotonic() > deadline:
            return Outcome("Failed", f"timed out waiting for condition '{success}'")
        await asyncio.sleep(POLL_SECONDS)

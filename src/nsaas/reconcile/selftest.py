"""The admin's end-to-end check of the provisioning path, leaving nothing behind.

A sample bundle is validated by the API server with the platform's real credentials, so
validation, admission and RBAC all run:

1. the Namespace is server-side applied with ``dryRun=All``;
2. a scratch namespace of that name is really created (namespaced objects cannot be dry-run into
   a namespace that does not exist: the API server refuses them with NotFound);
3. every namespaced object is applied into it with ``dryRun=All``;
4. with the argo engine, the WorkflowTemplates must exist and a Workflow for the sample is
   submitted with ``dryRun=All`` too;
5. the scratch namespace is deleted again, whatever happened before.

Each step is reported with its outcome and time; ``ok`` is true only when every step passed, and
``failedStep`` names the first that did not (a missing RBAC rule shows as that object's step).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from nsaas import config
from nsaas.bundle import model, ownership, render
from nsaas.domain import errors
from nsaas.reconcile.engines import argo
from nsaas.services import bodies, ports


class SelfTest:
    def __init__(self, *, settings: config.Settings, cluster: ports.Cluster) -> None:
        self.settings = settings
        self.cluster = cluster

    async def run(self) -> dict[str, Any]:
        name = f"nsaas-selftest-{uuid.uuid4().hex[:6]}"
        spec = bodies.parse_spec(
            {
                "namespaceName": name,
                "team": "platform",
                "environment": "development",
                "resourceTier": "micro",
                "networkPolicy": "isolated",
                "features": ["istio-injection", "monitoring-enhanced"],
            }
        )
        bundle = render.render_bundle(spec, self.settings, request_id=str(uuid.uuid4()), requested_by="selftest")
        namespace = next(m for m in bundle.manifests if m["kind"] == "Namespace")
        steps: list[dict[str, Any]] = [await self._step("cluster reachable", self.cluster.ping())]
        steps.append(
            await self._step(
                f"dry-run apply Namespace/{name}", self.cluster.apply_object(manifest=namespace, dry_run=True)
            )
        )
        if all(s["ok"] for s in steps):
            created = await self._step(
                f"create scratch namespace {name}", self.cluster.apply_object(manifest=namespace)
            )
            steps.append(created)
            if created["ok"]:
                try:
                    steps.extend(await self._namespaced(bundle=bundle))
                    if self.settings.engine == "argo":
                        steps.extend(await self._argo(bundle=bundle))
                finally:
                    steps.append(await self._step(f"delete scratch namespace {name}", self._remove(bundle, name)))
        failed = next((s["step"] for s in steps if not s["ok"]), None)
        return {
            "engine": self.settings.engine,
            "namespace": name,
            "digest": bundle.digest,
            "ok": failed is None,
            "failedStep": failed,
            "steps": steps,
            "note": "namespaced objects were dry-run (dryRun=All) into a scratch namespace, deleted afterwards",
        }

    async def _namespaced(self, *, bundle: model.Bundle) -> list[dict[str, Any]]:
        out = []
        for manifest in bundle.manifests:
            if manifest["kind"] == "Namespace":
                continue
            label = f"dry-run apply {manifest['kind']}/{manifest['metadata']['name']}"
            out.append(await self._step(label, self.cluster.apply_object(manifest=manifest, dry_run=True)))
        return out

    async def _remove(self, bundle: model.Bundle, name: str) -> bool:
        owned = ownership.Ownership.of(self.settings.labels)
        return await self.cluster.delete_namespace(
            name=name,
            request_id=bundle.request_id,
            managed_label=owned.managed_label,
            request_id_label=owned.request_id_label,
        )

    async def _argo(self, *, bundle: model.Bundle) -> list[dict[str, Any]]:
        engine_settings = self.settings.engines
        out = []
        for template in (engine_settings.provision_template, engine_settings.decommission_template):
            out.append(
                await self._step(
                    f"WorkflowTemplate {template} present",
                    self.cluster.get_object(
                        api_version="argoproj.io/v1alpha1",
                        kind="WorkflowTemplate",
                        name=template,
                        namespace=engine_settings.argo_namespace,
                    ),
                    require_value=True,
                )
            )
        engine = argo.ArgoEngine(settings=self.settings, cluster=self.cluster)
        workflow = engine.workflow(
            request_id=bundle.request_id, generation=1, attempt=0, bundle=bundle, operation="provision"
        )
        out.append(
            await self._step("dry-run submit Workflow", self.cluster.apply_object(manifest=workflow, dry_run=True))
        )
        return out

    async def _step(self, label: str, call: Any, *, require_value: bool = False) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            value = await call
        except errors.NsaasError as exc:
            ok, message = False, exc.message
        else:
            ok = value is not None and value is not False if require_value else value is not False
            message = "ok" if ok else "missing"
        return {"step": label, "ok": ok, "message": message, "ms": round((time.perf_counter() - started) * 1000, 1)}

"""The admin's end-to-end check of the provisioning path, without provisioning anything.

Every object of a sample bundle is server-side applied with ``dryRun=All``: the API server runs
validation, admission and RBAC on the platform's real credentials but persists nothing. With the
argo engine, the WorkflowTemplates must exist and a Workflow for the sample is submitted with
``dryRun=All`` too. Each step is reported with its outcome and time.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from nsaas import config
from nsaas.bundle import model, render
from nsaas.domain import errors, requests
from nsaas.reconcile.engines import argo
from nsaas.services import ports


class SelfTest:
    def __init__(self, *, settings: config.Settings, cluster: ports.Cluster) -> None:
        self.settings = settings
        self.cluster = cluster

    async def run(self) -> dict[str, Any]:
        name = f"nsaas-selftest-{uuid.uuid4().hex[:6]}"
        spec = requests.parse_spec(
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
        steps: list[dict[str, Any]] = [await self._step("cluster reachable", self.cluster.ping())]
        for manifest in bundle.manifests:
            meta = manifest["metadata"]
            label = f"dry-run apply {manifest['kind']}/{meta['name']}"
            steps.append(await self._step(label, self.cluster.apply_object(manifest=manifest, dry_run=True)))
        if self.settings.engine == "argo":
            steps.extend(await self._argo(bundle=bundle))
        return {
            "engine": self.settings.engine,
            "namespace": name,
            "digest": bundle.digest,
            "ok": all(s["ok"] for s in steps),
            "steps": steps,
            "note": "dryRun=All: the API server validated every object; nothing was created",
        }

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

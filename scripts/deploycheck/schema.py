"""Schema validation of built-in kinds against the target Kubernetes version, offline.

kubernetes-validate ships the OpenAPI-derived JSON schemas of each release; strict mode refuses
unknown fields, which is how a misspelt ``readinesProbe`` is caught. Kinds with no bundled schema
are custom resources and go to :mod:`customresources` instead.
"""

from __future__ import annotations

import kubernetes_validate  # type: ignore[import-untyped]
from scripts.deploycheck import findings

TARGET_KUBERNETES = "1.31.0"


def check(
    objects: list[findings.Manifest], *, version: str = TARGET_KUBERNETES
) -> tuple[list[findings.Finding], list[findings.Manifest]]:
    """Findings for invalid built-in objects, and the objects that had no schema (custom)."""
    problems: list[findings.Finding] = []
    custom: list[findings.Manifest] = []
    for obj in objects:
        try:
            kubernetes_validate.validate(obj, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            custom.append(obj)
        except kubernetes_validate.ValidationError as exc:
            where = "/".join(str(p) for p in exc.path)
            problems.append(findings.Finding("schema", findings.describe(obj), f"{where}: {exc.message}"))
    return problems, custom

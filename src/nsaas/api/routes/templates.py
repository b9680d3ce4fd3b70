"""Bundle template routes: every signed-in caller reads; platform admins create, publish and pin.

A version's document (``spec``) is the same shape as the YAML ``nsaas template export`` writes and
``nsaas template import`` reads; the body models here validate it (a bad document is a 400 naming
every failing field, ``spec.containerDefaults.limit.cpu`` style).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from nsaas import runtime
from nsaas.adapters.kube import quantity
from nsaas.api import schemas
from nsaas.api.deps import CallerDep, RuntimeDep
from nsaas.domain import requests, templates, tiers

router = APIRouter(tags=["templates"], responses=schemas.ERRORS)
PREFIX = "/api/platform/templates"

TemplateName = Annotated[str, Path(max_length=32)]
VersionNumber = Annotated[int, Path(ge=1, le=templates.MAX_VERSION)]
Cpu = Annotated[str, StringConstraints(pattern=r"^([0-9]{1,4}(\.[0-9]{1,3})?|[0-9]{1,7}m)$")]
Memory = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,7}(Ki|Mi|Gi)?$")]
#: A Kubernetes label key: an optional DNS-subdomain prefix and a name.
LabelKey = Annotated[
    str,
    StringConstraints(
        max_length=316,
        pattern=r"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$",
    ),
]
LabelValue = Annotated[str, StringConstraints(max_length=63, pattern=r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")]
AnnotationValue = Annotated[str, StringConstraints(max_length=1024)]


class ResourcesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cpu: Cpu
    memory: Memory


def _smallest_tier_limits() -> dict[str, Decimal]:
    """A container default above the smallest tier's LimitRange max would make that LimitRange invalid."""
    lows = [t.quota_hard(gpu=False) for t in tiers.TIERS.values()]
    return {r: min(quantity.parse(h[f"limits.{r}"]) for h in lows) for r in ("cpu", "memory")}


class ContainerDefaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limit: ResourcesIn = ResourcesIn(**tiers.CONTAINER_DEFAULT_LIMIT)
    request: ResourcesIn = ResourcesIn(**tiers.CONTAINER_DEFAULT_REQUEST)

    @model_validator(mode="after")
    def _fits(self) -> ContainerDefaultsIn:
        ceiling = _smallest_tier_limits()
        wrong = []
        for resource in ("cpu", "memory"):
            limit = quantity.parse(getattr(self.limit, resource))
            if quantity.parse(getattr(self.request, resource)) > limit:
                wrong.append(f"request.{resource} is above limit.{resource}")
            if limit > ceiling[resource]:
                wrong.append(f"limit.{resource} is above the smallest tier's container maximum")
        if wrong:
            raise ValueError("; ".join(wrong))
        return self


class TemplateSpecIn(BaseModel):
    """What a template version sets in every bundle rendered from it (``nsaas.domain.templates``)."""

    model_config = ConfigDict(extra="forbid")
    #: Pod Security enforce level per environment; an environment left out is ``restricted``.
    podSecurity: dict[requests.Environment, templates.PodSecurityLevel]
    containerDefaults: ContainerDefaultsIn = ContainerDefaultsIn()
    namespaceLabels: Annotated[dict[LabelKey, LabelValue], Field(max_length=20)] = {}
    namespaceAnnotations: Annotated[dict[LabelKey, AnnotationValue], Field(max_length=20)] = {}
    #: ``isolated`` and ``team-shared`` namespaces may reach public addresses.
    internetEgress: bool = True

    def parameters(self) -> templates.BundleParameters:
        return templates.BundleParameters.from_snapshot(self.model_dump())


class TemplateVersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: Left out: the next version. Given (an import): creating an existing version with the same spec is a no-op.
    version: Annotated[int, Field(ge=1, le=templates.MAX_VERSION)] | None = None
    description: Annotated[str, Field(max_length=1000)] = ""
    spec: TemplateSpecIn


class TemplateVersionOut(BaseModel):
    name: str
    version: int
    state: templates.State
    #: Version 1 is built in: the platform's settings, never stored.
    builtin: bool
    description: str
    spec: dict[str, Any]
    createdAt: datetime | None
    createdBy: str
    publishedAt: datetime | None
    publishedBy: str | None


class TemplateOut(BaseModel):
    name: str
    #: The version new namespaces get: the newest published one.
    current: int
    versions: list[TemplateVersionOut]


class ObjectChangeOut(BaseModel):
    apiVersion: str
    kind: str
    namespace: str | None
    name: str
    change: Literal["added", "removed", "changed"]
    #: Unified diff of the object's YAML, current version to target version.
    diff: str


class UpgradePreviewOut(BaseModel):
    namespace: str
    current: schemas.TemplateRef
    target: schemas.TemplateRef
    currentDigest: str
    targetDigest: str
    #: False: the target renders the very same bundle (nothing would be re-applied).
    changed: bool
    objects: list[ObjectChangeOut]


class PinIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pinned: bool


def version_out(found: templates.TemplateVersion) -> dict[str, Any]:
    return {
        "name": found.name,
        "version": found.version,
        "state": found.state,
        "builtin": found.builtin,
        "description": found.description,
        "spec": found.parameters.snapshot(),
        "createdAt": found.created_at,
        "createdBy": found.created_by,
        "publishedAt": found.published_at,
        "publishedBy": found.published_by,
    }


async def _template(rt: runtime.Runtime, name: str) -> dict[str, Any]:
    versions = await rt.templates.versions(name)
    return {"name": name, "current": await rt.templates.current(name), "versions": [version_out(v) for v in versions]}


@router.get(PREFIX, response_model=schemas.Envelope[list[TemplateOut]])
async def list_templates(rt: RuntimeDep, _: CallerDep) -> dict[str, Any]:
    """Every bundle template with its versions and the one new namespaces get."""
    return schemas.ok([await _template(rt, name) for name in templates.TEMPLATE_NAMES])


@router.get(PREFIX + "/{name}", response_model=schemas.Envelope[TemplateOut])
async def show_template(rt: RuntimeDep, _: CallerDep, name: TemplateName) -> dict[str, Any]:
    return schemas.ok(await _template(rt, name))


@router.get(PREFIX + "/{name}/versions/{version}", response_model=schemas.Envelope[TemplateVersionOut])
async def show_version(rt: RuntimeDep, _: CallerDep, name: TemplateName, version: VersionNumber) -> dict[str, Any]:
    return schemas.ok(version_out(await rt.templates.show(name, version)))


@router.post(
    PREFIX + "/{name}/versions",
    status_code=status.HTTP_201_CREATED,
    response_model=schemas.Envelope[TemplateVersionOut],
)
async def create_version(
    rt: RuntimeDep, who: CallerDep, name: TemplateName, body: TemplateVersionIn, response: Response
) -> dict[str, Any]:
    """Create a draft version (platform admins): 201, or 200 when that version exists with this very spec."""
    found, created = await rt.templates.create(
        name, body.spec.parameters(), who, version=body.version, description=body.description
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return schemas.ok(version_out(found))


@router.post(PREFIX + "/{name}/versions/{version}/publish", response_model=schemas.Envelope[TemplateVersionOut])
async def publish_version(rt: RuntimeDep, who: CallerDep, name: TemplateName, version: VersionNumber) -> dict[str, Any]:
    """New namespaces get the newest published version; existing ones move by a rollout."""
    return schemas.ok(version_out(await rt.templates.publish(name, version, who)))


@router.put("/api/platform/namespaces/{name}/template-pin", response_model=schemas.Envelope[schemas.NamespaceSummary])
async def pin_namespace(rt: RuntimeDep, who: CallerDep, name: str, body: PinIn) -> dict[str, Any]:
    """Pin a namespace to the template version it runs (rollouts skip it), or unpin it (platform admins)."""
    record = await rt.requests.visible(name, who)
    return schemas.ok(schemas.summary(await rt.templates.pin(record, body.pinned, who)))


@router.get("/api/platform/namespaces/{name}/upgrade-preview", response_model=schemas.Envelope[UpgradePreviewOut])
async def upgrade_preview(
    rt: RuntimeDep,
    who: CallerDep,
    name: str,
    version: Annotated[int | None, Query(ge=1, le=templates.MAX_VERSION)] = None,
) -> dict[str, Any]:
    """What moving the namespace to template ``version`` (default: the published one) changes, object by object."""
    preview = await rt.templates.upgrade_preview(name, who, version=version)
    return schemas.ok(
        {
            "namespace": preview.record.name,
            "current": schemas.template_ref(preview.record.template),
            "target": schemas.template_ref(preview.target),
            "currentDigest": preview.current_digest,
            "targetDigest": preview.target_digest,
            "changed": preview.current_digest != preview.target_digest,
            "objects": [
                {
                    "apiVersion": c.api_version,
                    "kind": c.kind,
                    "namespace": c.namespace,
                    "name": c.name,
                    "change": c.change,
                    "diff": c.diff,
                }
                for c in preview.changes
            ],
        }
    )

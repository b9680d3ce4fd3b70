"""Use cases of bundle templates: list, show, create and publish versions, pin a namespace.

Every signed-in caller may read templates (they are what every namespace is built from); only
platform admins create and publish versions and pin namespaces, each write audited.

:class:`Resolver` is what rendering uses to turn a namespace's ``template: {name, version}`` into
the renderer's parameters. Stored versions never change, so it keeps them once read; which
version is *current* (published newest) is read afresh on every create, so a publish applies
to the next namespace on every replica without a restart.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from nsaas import config, metrics
from nsaas.bundle import diff
from nsaas.domain import audit, changes, errors, identity, records, templates
from nsaas.services import ports
from nsaas.services.requests import Caller, RequestService


@dataclass(frozen=True, slots=True)
class UpgradePreview:
    """What moving one namespace from the version it runs to ``target`` would change in its bundle."""

    record: records.RequestRecord
    target: templates.Ref
    current_digest: str
    target_digest: str
    changes: list[diff.ObjectChange]


class Resolver:
    """Template references to renderer parameters (None: the built-in version, the settings)."""

    def __init__(self, store: ports.TemplateStore) -> None:
        self.store = store
        self._known: dict[tuple[str, int], templates.BundleParameters] = {}

    async def parameters(self, ref: templates.Ref) -> templates.BundleParameters | None:
        if ref.version == templates.BUILTIN_VERSION:
            return None
        key = (ref.name, ref.version)
        if key not in self._known:
            found = await self.store.version(ref.name, ref.version)
            if found is None:
                raise errors.NotFound(
                    f"no version {ref.version} of bundle template {ref.name}", details={"version": "not found"}
                )
            self._known[key] = found.parameters
        return self._known[key]

    async def current(self, name: str = templates.STANDARD) -> int:
        return await self.store.current(name)


class TemplateService:
    def __init__(
        self, *, settings: config.Settings, store: ports.TemplateStore, repo: ports.Repository, requests: RequestService
    ) -> None:
        self.settings = settings
        self.store = store
        self.repo = repo
        self.requests = requests

    def builtin(self) -> templates.TemplateVersion:
        return templates.TemplateVersion(
            name=templates.STANDARD,
            version=templates.BUILTIN_VERSION,
            parameters=templates.builtin(self.settings.bundle.pod_security),
            state="published",
            description="Built in: the platform's settings (NSAAS_BUNDLE__*)",
            created_by="nsaas",
        )

    async def versions(self, name: str) -> list[templates.TemplateVersion]:
        templates.check_name(name)
        return [self.builtin(), *await self.store.versions(name)]

    async def show(self, name: str, version: int) -> templates.TemplateVersion:
        templates.check_name(name)
        if version == templates.BUILTIN_VERSION:
            return self.builtin()
        found = await self.store.version(name, version)
        if found is None:
            raise errors.NotFound(f"no version {version} of {name}", details={"version": "not found"})
        return found

    async def current(self, name: str) -> int:
        templates.check_name(name)
        return await self.store.current(name)

    async def create(
        self,
        name: str,
        parameters: templates.BundleParameters,
        caller: Caller,
        *,
        version: int | None = None,
        description: str = "",
    ) -> tuple[templates.TemplateVersion, bool]:
        """A new draft version (True), or the same existing one again (False): an import is idempotent."""
        templates.check_name(name)
        require_admin(caller, f"create a version of template {name}")
        found = templates.problems(parameters, platform_prefix=self.settings.labels.prefix)
        if found:
            raise errors.ValidationFailed(f"the template has {len(found)} invalid field(s)", details=found)
        if version == templates.BUILTIN_VERSION and parameters != self.builtin().parameters:
            raise errors.Conflict(
                "version 1 is built in (the settings) and cannot be replaced",
                details={"version": "version 1 is built in; create version 2 or later"},
            )
        if version == templates.BUILTIN_VERSION:
            return self.builtin(), False
        return await self.store.create_version(
            name,
            parameters,
            version=version,
            description=description,
            actor=caller.principal.subject,
            audit=caller.audit(
                audit.TEMPLATE_CREATE, name, after=parameters.snapshot(), target_type="template", detail=description
            ),
        )

    async def publish(self, name: str, version: int, caller: Caller) -> templates.TemplateVersion:
        """New namespaces get the newest published version; existing ones move only by a rollout."""
        templates.check_name(name)
        require_admin(caller, f"publish template {name}")
        if version == templates.BUILTIN_VERSION:
            return self.builtin()
        return await self.store.publish(
            name,
            version,
            actor=caller.principal.subject,
            audit=caller.audit(audit.TEMPLATE_PUBLISH, name, target_type="template"),
        )

    async def upgrade_preview(self, name: str, caller: Caller, *, version: int | None = None) -> UpgradePreview:
        """The per-object diff of a namespace the caller can see, from its version to ``version``
        (default: the published one new namespaces get). Nothing is stored or applied."""
        record = await self.requests.visible(name, caller)
        target = templates.Ref(record.template_name, version or await self.current(record.template_name))
        await self.show(target.name, target.version)  # NotFound for a version that does not exist
        current = await self.requests.bundle_of(record)
        wanted = await self.requests.bundle_of(record, template=target)
        return UpgradePreview(
            record=record,
            target=target,
            current_digest=current.digest,
            target_digest=wanted.digest,
            changes=diff.changes(current, wanted),
        )

    async def pin(self, record: records.RequestRecord, pinned: bool, caller: Caller) -> records.RequestRecord:
        """Pin (rollouts skip it) or unpin a namespace the caller can see (platform admins)."""
        require_admin(caller, f"pin namespace {record.name}")
        if record.template_pinned == pinned:
            return record
        word = "pinned to" if pinned else "unpinned from"
        return await self.repo.update(
            record.id,
            change=changes.Change(template_pinned=pinned),
            event=records.NewEvent(
                kind="info",
                message=f"{word} bundle template {record.template_name} version {record.template_version}",
                data={"template": dataclasses.asdict(record.template), "pinned": pinned},
            ),
            audit=caller.audit(audit.TEMPLATE_PIN, record.name, detail=f"{word} version {record.template_version}"),
        )


def require_admin(caller: Caller, what: str, *, area: str = "template") -> None:
    """PermissionDenied (counted under ``area``) unless the caller is a platform admin."""
    if not caller.principal.is_platform_admin:
        metrics.AUTHZ_DENIALS.labels(area).inc()
        raise errors.PermissionDenied(
            f"only platform admins may {what}", details={"role": f"{identity.PLATFORM_ADMIN} needed"}
        )

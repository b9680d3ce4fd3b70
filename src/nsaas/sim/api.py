"""The verbs of the Kubernetes API with kube-apiserver's object semantics.

The HTTP layer parses requests and calls these; controllers and the simulated Argo workflow
controller call them too, so everything that writes goes through the same rules: uid,
resourceVersion and creationTimestamp stamping, generateName, namespace existence and
termination, optimistic concurrency, status as a subresource, generation, managedFields,
finalizers and dry runs.
"""

from __future__ import annotations

from typing import Any

from nsaas.sim import apply, errors, kinds, listing, managed, objects, patching, resources, selectors, store

Obj = dict[str, Any]

_NAMESPACE = resources.BUILTIN[0]
_LENIENT_NAMES = {"roles.rbac.authorization.k8s.io", "rolebindings.rbac.authorization.k8s.io"}


class Api:
    def __init__(self, registry: resources.Registry, objects_store: store.Store) -> None:
        self.registry = registry
        self.store = objects_store

    # -- reads -------------------------------------------------------------------------------

    def get(self, rt: resources.ResourceType, namespace: str, name: str) -> Obj:
        found = self.store.get(rt, namespace, name)
        if found is None:
            raise errors.not_found(rt, name)
        return found

    def list(
        self, rt: resources.ResourceType, where: selectors.Filter, *, limit: int | None = None, token: str | None = None
    ) -> Obj:
        matching = [o for o in self.store.items(rt, where.namespace) if where.matches(o)]
        items, meta = listing.page(matching, limit=limit, token=token, objects_store=self.store)
        return {"kind": f"{rt.kind}List", "apiVersion": rt.api_version, "metadata": meta, "items": items}

    # -- create ------------------------------------------------------------------------------

    def create(
        self,
        rt: resources.ResourceType,
        namespace: str,
        body: Obj,
        *,
        manager: str,
        dry_run: bool = False,
        operation: str = "Update",
    ) -> Obj:
        obj = self._checked_body(rt, namespace, body)
        meta = obj["metadata"]
        if not meta.get("name"):
            if not meta.get("generateName"):
                raise errors.invalid(rt, "", "metadata.name: Required value: name or generateName is required")
            meta["name"] = objects.generated_name(str(meta["generateName"]))
        self._check_name(rt, str(meta["name"]))
        if rt.namespaced:
            self._check_namespace_accepts(rt, namespace, str(meta["name"]))
        if self.store.get(rt, namespace, meta["name"]) is not None:
            raise errors.already_exists(rt, meta["name"])
        for server_field in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            meta.pop(server_field, None)
        meta.update(uid=objects.new_uid(), creationTimestamp=objects.now(), generation=1)
        if rt.status_subresource:
            obj.pop("status", None)
        kinds.prepare_create(rt, obj)
        owned = managed.paths(obj, exclude_status=rt.status_subresource)
        ownership = managed.Ownership(None)
        ownership.update((manager, operation, ""), owned, set())
        meta["managedFields"] = ownership.entries(api_version=rt.api_version, now=meta["creationTimestamp"])
        if dry_run:
            return obj
        committed = self.store.commit(rt, "ADDED", obj)
        self._after_commit(rt, committed)
        return committed

    def _checked_body(self, rt: resources.ResourceType, namespace: str, body: Any) -> Obj:
        if not isinstance(body, dict):
            raise errors.bad_request("the request body must be a JSON object")
        if body.get("kind", rt.kind) != rt.kind or body.get("apiVersion", rt.api_version) != rt.api_version:
            raise errors.bad_request(
                f"the API version in the data ({body.get('apiVersion')}) does not match the expected API version "
                f"({rt.api_version}) or kind ({body.get('kind')} vs {rt.kind})"
            )
        meta = body.get("metadata")
        meta = dict(meta) if isinstance(meta, dict) else {}
        if rt.namespaced:
            if meta.get("namespace", namespace) != namespace:
                raise errors.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        return {**body, "apiVersion": rt.api_version, "kind": rt.kind, "metadata": meta}

    def _check_name(self, rt: resources.ResourceType, name: str) -> None:
        problem = objects.name_problem(name, label=rt.key == "namespaces", lenient=rt.key in _LENIENT_NAMES)
        if problem:
            raise errors.invalid(rt, name, f"metadata.name: Invalid value: {name!r}: {problem}")

    def _check_namespace_accepts(self, rt: resources.ResourceType, namespace: str, name: str) -> None:
        ns = self.store.get(_NAMESPACE, "", namespace)
        if ns is None:
            raise errors.not_found(_NAMESPACE, namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise errors.namespace_terminating(rt, name, namespace)

    def _after_commit(self, rt: resources.ResourceType, obj: Obj) -> None:
        if rt.key == kinds.CRD_KEY:
            served = resources.from_crd(obj)
            if served is not None:
                self.registry.add(served)

    # -- update and patch --------------------------------------------------------------------

    def update(
        self,
        rt: resources.ResourceType,
        namespace: str,
        name: str,
        body: Any,
        *,
        manager: str,
        subresource: str = "",
        dry_run: bool = False,
    ) -> Obj:
        old = self.get(rt, namespace, name)
        new = self._checked_body(rt, namespace, body)
        if new["metadata"].get("name", name) != name:
            raise errors.bad_request("the name of the object does not match the name on the URL")
        wanted_rv = new["metadata"].get("resourceVersion")
        if wanted_rv and wanted_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rt, name)
        return self._write(rt, old, new, manager=manager, subresource=subresource, dry_run=dry_run)

    def patch(
        self,
        rt: resources.ResourceType,
        namespace: str,
        name: str,
        body: Any,
        *,
        patch_type: str,
        manager: str,
        subresource: str = "",
        dry_run: bool = False,
    ) -> Obj:
        old = self.get(rt, namespace, name)
        if patch_type == "json":
            new = patching.json_patch(old, body)
        else:
            if not isinstance(body, dict):
                raise errors.bad_request("a merge patch must be a JSON object")
            new = patching.merge(objects.clone(old), body)
        if not isinstance(new, dict):
            raise errors.bad_request("the patch does not produce an object")
        new = self._checked_body(rt, namespace, new)
        new_rv = new["metadata"].get("resourceVersion")
        if new_rv and new_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rt, name)
        return self._write(rt, old, new, manager=manager, subresource=subresource, dry_run=dry_run)

    def apply(
        self,
        rt: resources.ResourceType,
        namespace: str,
        name: str,
        body: Any,
        *,
        manager: str,
        subresource: str = "",
        dry_run: bool = False,
    ) -> tuple[Obj, bool]:
        """Server-side apply; returns the object and whether it was created."""
        config = self._checked_body(rt, namespace, body)
        if config["metadata"].get("name", name) != name:
            raise errors.bad_request("the name of the object does not match the name on the URL")
        config["metadata"]["name"] = name
        old = self.store.get(rt, namespace, name)
        wanted_rv = config["metadata"].get("resourceVersion")
        if old is not None and wanted_rv and wanted_rv != old["metadata"]["resourceVersion"]:
            raise errors.conflict(rt, name)
        if old is None:
            if subresource:
                raise errors.not_found(rt, name)
            return self.create(rt, namespace, config, manager=manager, dry_run=dry_run, operation="Apply"), True
        new, ownership = apply.merge(
            old, config, manager=manager, subresource=subresource, status_subresource=rt.status_subresource
        )
        return self._write(
            rt, old, new, manager=manager, subresource=subresource, dry_run=dry_run, ownership=ownership
        ), False

    def _write(
        self,
        rt: resources.ResourceType,
        old: Obj,
        new: Obj,
        *,
        manager: str,
        subresource: str,
        dry_run: bool,
        ownership: managed.Ownership | None = None,
    ) -> Obj:
        new = self._with_server_fields(rt, old, new, subresource)
        if ownership is None:
            ownership = self._updated_ownership(rt, old, new, manager=manager, subresource=subresource)
        new["metadata"]["managedFields"] = ownership.entries(api_version=rt.api_version, now=objects.now())
        if objects.content_changed(old, new):
            new["metadata"]["generation"] = int(old["metadata"].get("generation", 1)) + 1
        if objects.same_object(old, new):
            return old
        if new["metadata"].get("deletionTimestamp") and not objects.pending_finalizers(new):
            return new if dry_run else self._remove(rt, new, old)
        if dry_run:
            return new
        committed = self.store.commit(rt, "MODIFIED", new, old)
        self._after_commit(rt, committed)
        return committed

    def _with_server_fields(self, rt: resources.ResourceType, old: Obj, new: Obj, subresource: str) -> Obj:
        """Keep what clients may not change: identity, timestamps and, per endpoint, status or the rest."""
        if subresource == "status":
            result = {**old, "metadata": dict(old["metadata"])}
            if "status" in new:
                result["status"] = new["status"]
            else:
                result.pop("status", None)
            return result
        if subresource == "finalize":
            spec = {**(old.get("spec") or {}), "finalizers": (new.get("spec") or {}).get("finalizers") or []}
            return {**old, "metadata": dict(old["metadata"]), "spec": spec}
        meta = dict(new["metadata"])
        for kept in (
            "uid",
            "creationTimestamp",
            "generation",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "name",
            "namespace",
            "generateName",
        ):
            if kept in old["metadata"]:
                meta[kept] = old["metadata"][kept]
            else:
                meta.pop(kept, None)
        meta["resourceVersion"] = old["metadata"]["resourceVersion"]
        result = {**new, "metadata": meta}
        if rt.status_subresource:
            if "status" in old:
                result["status"] = old["status"]
            else:
                result.pop("status", None)
        return kinds.keep_server_owned(rt, old, result)

    def _updated_ownership(
        self, rt: resources.ResourceType, old: Obj, new: Obj, *, manager: str, subresource: str
    ) -> managed.Ownership:
        section = "status" if subresource == "status" else None
        exclude_status = rt.status_subresource and not subresource
        before = managed.paths(old, section=section, exclude_status=exclude_status)
        after = managed.paths(new, section=section, exclude_status=exclude_status)
        ownership = managed.Ownership(old["metadata"].get("managedFields"))
        changed = managed.changed_paths(old, new, after)
        if changed or (before - after):
            ownership.update((manager, "Update", subresource), changed, before - after)
        return ownership

    # -- delete ------------------------------------------------------------------------------

    def delete(
        self,
        rt: resources.ResourceType,
        namespace: str,
        name: str,
        *,
        options: Obj | None = None,
        dry_run: bool = False,
    ) -> Obj:
        old = self.get(rt, namespace, name)
        preconditions = (options or {}).get("preconditions") or {}
        for field in ("uid", "resourceVersion"):
            if preconditions.get(field) and preconditions[field] != old["metadata"].get(field):
                raise errors.conflict(rt, name)
        if old["metadata"].get("deletionTimestamp"):
            return old
        if not objects.pending_finalizers(old):
            return old if dry_run else self._remove(rt, old, old)
        new = kinds.marked_for_deletion(rt, old)
        return new if dry_run else self.store.commit(rt, "MODIFIED", new, old)

    def delete_collection(self, rt: resources.ResourceType, where: selectors.Filter, *, dry_run: bool = False) -> Obj:
        deleted = []
        for obj in [o for o in self.store.items(rt, where.namespace) if where.matches(o)]:
            meta = obj["metadata"]
            deleted.append(self.delete(rt, meta.get("namespace", ""), meta["name"], dry_run=dry_run))
        listing: Obj = {"kind": f"{rt.kind}List", "apiVersion": rt.api_version, "items": deleted}
        listing["metadata"] = {"resourceVersion": str(self.store.resource_version)}
        return listing

    def _remove(self, rt: resources.ResourceType, final: Obj, old: Obj) -> Obj:
        gone = self.store.commit(rt, "DELETED", final, old)
        if rt.key == kinds.CRD_KEY:
            served = resources.from_crd(final)
            if served is not None:
                self._drop_custom_type(served)
        return gone

    def _drop_custom_type(self, rt: resources.ResourceType) -> None:
        for obj in self.store.items(rt):
            self.store.commit(rt, "DELETED", obj, obj)
        self.registry.remove(rt)

"""Resource requests: from a parsed request and route to an API verb and a response."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import yaml

from nsaas.sim import api, codec, errors, faults, routing, selectors, tables, watch, wire

_PATCH_TYPES = {
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "merge",
    "application/json-patch+json": "json",
    "application/apply-patch+yaml": "apply",
    "application/apply-patch+json": "apply",
}
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def verb_of(request: wire.Request, route: routing.ResourcePath) -> str:
    named = route.name is not None
    method = request.method
    if method == "GET":
        if named:
            return "get"
        return "watch" if request.query.get("watch") in ("true", "1") else "list"
    verbs = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete" if named else "deletecollection"}
    if method not in verbs or (method in ("PUT", "PATCH") and not named) or (method == "POST" and named):
        raise errors.method_not_allowed()
    return verbs[method]


def _body(request: wire.Request, *, yaml_allowed: bool = False) -> Any:
    if not request.body:
        return None
    try:
        if yaml_allowed:
            return yaml.load(request.body, Loader=_YAML_LOADER)  # noqa: S506 - a safe loader
        return codec.loads(request.body)
    except (ValueError, yaml.YAMLError) as exc:
        raise errors.bad_request(f"the request body could not be decoded: {exc}") from exc


def _manager(request: wire.Request) -> str:
    manager = request.query.get("fieldManager")
    if manager:
        return manager
    return request.headers.get("user-agent", "unknown").split("/")[0] or "unknown"


def _dry_run(request: wire.Request, options: Any = None) -> bool:
    if request.query.get("dryRun") == "All":
        return True
    return isinstance(options, dict) and "All" in (options.get("dryRun") or [])


class ResourceHandler:
    def __init__(self, kube: api.Api, fault_rules: faults.Faults) -> None:
        self.api = kube
        self.faults = fault_rules

    async def handle(
        self, request: wire.Request, route: routing.ResourcePath, receive: wire.Receive, send: wire.Send
    ) -> wire.Response | None:
        verb = verb_of(request, route)
        await self._inject(verb, route, send)
        if verb == "watch":
            await self._watch(request, route, receive, send)
            return None
        status, body = self._dispatch(verb, request, route)
        if verb in ("create", "update", "patch") and not _dry_run(request) and isinstance(body, dict):
            name = route.name or str(body.get("metadata", {}).get("name", ""))
            self.faults.record_write(f"{route.rt.plural}/{route.namespace or ''}/{name}")
        if verb in ("get", "list") and tables.wanted(request.headers.get("accept", "")):
            body = self._table(route, body, verb)
        return wire.json_response(status, body)

    async def _inject(self, verb: str, route: routing.ResourcePath, send: wire.Send) -> None:
        decision = self.faults.decide(verb, route.rt.plural)
        if decision.latency_seconds:
            await asyncio.sleep(decision.latency_seconds)
        rule = decision.rule
        if rule is None:
            return
        if rule.error == "drop":
            await wire.drop(send)
            raise wire.DropConnection("fault injected")
        if rule.error == "429":
            raise errors.ApiError(
                429,
                "TooManyRequests",
                "the server has received too many requests (fault injected)",
                details={"retryAfterSeconds": rule.retry_after_seconds},
                headers={"Retry-After": str(rule.retry_after_seconds)},
            )
        if rule.error == "409":
            raise errors.conflict(route.rt, route.name or "")
        if rule.error == "403":
            raise errors.forbidden(route.rt, route.name or "", verb=verb, namespace=route.namespace)
        raise errors.ApiError(500, "InternalError", "an error on the server (fault injected) has prevented the request")

    def _dispatch(self, verb: str, request: wire.Request, route: routing.ResourcePath) -> tuple[int, Any]:
        rt, ns, name, sub = route.rt, route.namespace or "", route.name or "", route.subresource
        if sub and sub not in ("status", "finalize"):
            raise errors.path_not_found(request.path)
        if verb == "get":
            return 200, self.api.get(rt, ns, name)
        if verb == "list":
            return 200, self.api.list(
                rt,
                self._filter(request, route),
                limit=self._limit(request),
                token=request.query.get("continue") or None,
            )
        if verb == "create":
            return 201, self.api.create(rt, ns, _body(request), manager=_manager(request), dry_run=_dry_run(request))
        if verb == "update":
            return 200, self.api.update(
                rt, ns, name, _body(request), manager=_manager(request), subresource=sub, dry_run=_dry_run(request)
            )
        if verb == "patch":
            return self._patch(request, route)
        if verb == "delete":
            options = _body(request)
            # 200 also when finalizers keep the object (kube-apiserver answers 202 only for an
            # explicit orphanDependents=false, which nothing here sends).
            return 200, self.api.delete(rt, ns, name, options=options, dry_run=_dry_run(request, options))
        options = _body(request)
        return 200, self.api.delete_collection(rt, self._filter(request, route), dry_run=_dry_run(request, options))

    def _patch(self, request: wire.Request, route: routing.ResourcePath) -> tuple[int, Any]:
        patch_type = _PATCH_TYPES.get(request.content_type)
        if patch_type is None:
            raise errors.ApiError(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - "
                f"accepted media types include: {', '.join(_PATCH_TYPES)}",
            )
        rt, ns, name, sub = route.rt, route.namespace or "", route.name or "", route.subresource
        if patch_type != "apply":
            return 200, self.api.patch(
                rt,
                ns,
                name,
                _body(request),
                patch_type=patch_type,
                manager=_manager(request),
                subresource=sub,
                dry_run=_dry_run(request),
            )
        manager = request.query.get("fieldManager")
        if not manager:
            # kube-apiserver validates PatchOptions: 422 Invalid, not 400.
            raise errors.ApiError(
                422,
                "Invalid",
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
            )
        obj, created = self.api.apply(
            rt, ns, name, _body(request, yaml_allowed=True), manager=manager, subresource=sub, dry_run=_dry_run(request)
        )
        return (201 if created else 200), obj

    def _filter(self, request: wire.Request, route: routing.ResourcePath) -> selectors.Filter:
        namespace = route.namespace if route.rt.namespaced else None
        return selectors.Filter.parse(namespace, request.query.get("labelSelector"), request.query.get("fieldSelector"))

    def _limit(self, request: wire.Request) -> int | None:
        raw = request.query.get("limit")
        if not raw:
            return None
        try:
            return max(0, int(raw)) or None
        except ValueError as exc:
            raise errors.bad_request(f"invalid limit {raw!r}") from exc

    def _table(self, route: routing.ResourcePath, body: dict[str, Any], verb: str) -> dict[str, Any]:
        if verb == "get":
            return tables.table(route.rt, [body], body["metadata"].get("resourceVersion", ""))
        meta = body["metadata"]
        return tables.table(route.rt, body["items"], meta["resourceVersion"], meta.get("continue"))

    async def _watch(
        self, request: wire.Request, route: routing.ResourcePath, receive: wire.Receive, send: wire.Send
    ) -> None:
        raw_timeout = request.query.get("timeoutSeconds")
        try:
            timeout = float(raw_timeout) if raw_timeout else None
        except ValueError as exc:
            raise errors.bad_request(f"invalid timeoutSeconds {raw_timeout!r}") from exc
        await watch.stream(
            objects_store=self.api.store,
            rt=route.rt,
            where=self._filter(request, route),
            since=request.query.get("resourceVersion"),
            timeout_seconds=timeout,
            receive=receive,
            send=send,
            render=self._table_row_renderer(request, route),
        )

    def _table_row_renderer(
        self, request: wire.Request, route: routing.ResourcePath
    ) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
        if not tables.wanted(request.headers.get("accept", "")):
            return None
        return lambda obj: tables.table(route.rt, [obj], obj["metadata"].get("resourceVersion", ""))

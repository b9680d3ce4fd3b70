"""The ASGI application: authentication, discovery, the ``/_sim`` control endpoints, and dispatch.

Every request except the health probes needs ``Authorization: Bearer <token>``; without it the
answer is a 401 ``Status``, as from a kube-apiserver that has anonymous access disabled.
``/openapi/v3`` says only that the server validates fields itself (see ``openapi``); ``/openapi/v2`` is 404.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from typing import Any

from nsaas.sim import api, discovery, errors, faults, handlers, openapi, routing, wire

_HEALTH = {"/healthz", "/livez", "/readyz"}
_log = logging.getLogger(__name__)


class Application:
    def __init__(
        self,
        *,
        kube: api.Api,
        token: str,
        fault_rules: faults.Faults,
        extra_stats: Callable[[], dict[str, Any]] = dict,
    ) -> None:
        self._extra_stats = extra_stats
        self.api = kube
        self.faults = fault_rules
        self._expected = f"Bearer {token}".encode()
        self._resources = handlers.ResourceHandler(kube, fault_rules)

    async def __call__(self, scope: wire.Scope, receive: wire.Receive, send: wire.Send) -> None:
        if scope["type"] != "http":
            return
        request = await wire.read_request(scope, receive)
        try:
            response = await self._respond(request, receive, send)
        except errors.ApiError as exc:
            response = wire.error_response(exc)
        except wire.DropConnection:
            return
        if response is not None:
            await wire.send_response(send, response)

    async def _respond(self, request: wire.Request, receive: wire.Receive, send: wire.Send) -> wire.Response | None:
        path = request.path.rstrip("/") or "/"
        if path in _HEALTH:
            return wire.text_response(200, "ok")
        supplied = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(supplied, self._expected):
            raise errors.unauthorized()
        if path.startswith("/_sim/"):
            return self._control(request, path)
        route = routing.parse(path, self.api.registry)
        if isinstance(route, routing.ResourcePath):
            return await self._resources.handle(request, route, receive, send)
        if request.method != "GET":
            raise errors.path_not_found(path)
        document = self._discovery(path, route)
        if document is None:
            raise errors.path_not_found(path)
        return wire.json_response(200, document)

    def _discovery(self, path: str, route: routing.GroupPath | None) -> dict[str, Any] | None:
        registry = self.api.registry
        if path == "/version":
            return discovery.SERVER_VERSION
        if path == "/api":
            return discovery.core_versions()
        if path == "/apis":
            return discovery.group_list(registry)
        if path == "/openapi/v3":
            return openapi.root(registry)
        if path.startswith("/openapi/v3/"):
            return openapi.group_version(registry, path.removeprefix("/openapi/v3/"))
        if path.startswith("/apis/") and path.count("/") == 2:
            return discovery.group(registry, path.split("/")[2])
        if isinstance(route, routing.GroupPath) and not route.rest:
            return discovery.resource_list(registry, route.group, route.version)
        return None

    def _control(self, request: wire.Request, path: str) -> wire.Response:
        if path == "/_sim/stats" and request.method == "GET":
            return wire.json_response(
                200,
                {
                    **self.faults.stats(),
                    "watchers": self.api.store.watcher_count(),
                    "resourceVersion": self.api.store.resource_version,
                    **self._extra_stats(),
                },
            )
        if path != "/_sim/faults":
            raise errors.path_not_found(path)
        if request.method == "GET":
            return wire.json_response(200, {"rules": [r.to_json() for r in self.faults.rules]})
        if request.method == "DELETE":
            self.faults.clear()
            return wire.json_response(200, {"rules": []})
        if request.method != "POST":
            raise errors.method_not_allowed()
        try:
            data = json.loads(request.body or b"{}")
            rules = [faults.Rule.from_json(r) for r in data.get("rules", [])]
            seed = data.get("seed")
        except (ValueError, TypeError, AttributeError) as exc:
            raise errors.bad_request(f"invalid fault rules: {exc}") from exc
        self.faults.set(rules, seed=None if seed is None else int(seed))
        _log.info("fault rules set: %s", [r.to_json() for r in rules])
        return wire.json_response(200, {"rules": [r.to_json() for r in rules]})

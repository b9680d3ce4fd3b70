"""A small in-memory Platform API behind ``httpx.MockTransport`` for the UI's unit tests.

It honours the parts of the API contract the UI relies on: the envelope and error shapes, team
visibility (a foreign namespace is 404), ``If-Match`` (412 when stale), validation by the same
domain rules (400 with every field), the admin-only audit log (403) and finite SSE streams.
Tokens are dev persona tokens; their roles are read without verification (this is a fake).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

import httpx
import jwt

from nsaas import config
from nsaas.api.routes import rollouts as rollout_routes
from nsaas.api.routes import teams as team_routes
from nsaas.domain import actions, catalog, errors, identity, lifecycle, rollouts, teams
from nsaas.services import bodies
from nsaas.services.rollouts import Progress
from nsaas.services.teams import TeamView

PREFIX = "/api/platform"
NOW = "2025-01-31T12:00:00+00:00"


def ok(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json={"success": True, "data": data, "timestamp": NOW}, headers=headers)


def fail(status: int, error: str, message: str, details: dict[str, str] | None = None) -> httpx.Response:
    body = {
        "success": False,
        "error": error,
        "message": message,
        "details": details or {},
        "requestId": "req-1",
        "timestamp": NOW,
    }
    return httpx.Response(status, json=body)


def summary(name: str, team: str, *, status: str = "ready", environment: str = "development") -> dict[str, Any]:
    return {
        "requestId": f"id-{name}",
        "name": name,
        "team": team,
        "environment": environment,
        "tier": "small",
        "networkPolicy": "isolated",
        "features": [],
        "status": status,
        "statusReason": "",
        "engine": "direct",
        "requestedBy": f"dev:{team}-developer",
        "approvedBy": None,
        "createdAt": NOW,
        "updatedAt": NOW,
        "readyAt": NOW,
        "expiresAt": None,
        "version": 1,
        "description": "",
        "costCenter": "",
    }


def event(number: int, name: str, status: str, message: str, *, kind: str = "status") -> dict[str, Any]:
    return {
        "id": number,
        "requestId": f"id-{name}",
        "namespace": name,
        "team": "team-a",
        "at": NOW,
        "kind": kind,
        "status": status,
        "step": None,
        "phase": None,
        "message": message,
        "data": {},
    }


COST = {
    "tier": "small",
    "currency": "USD",
    "estimatedMonthly": 85.0,
    "isEstimate": True,
    "breakdown": {"cpu": 50.0, "memory": 25.0, "storage": 10.0},
    "basis": "Estimate: quota ceilings x prices",
}


class FakeApi:
    def __init__(self) -> None:
        self.namespaces = {
            "alpha": summary("alpha", "team-a"),
            "bravo": summary("bravo", "team-b"),
        }
        self.requests: list[httpx.Request] = []
        self.events: list[dict[str, Any]] = [event(1, "alpha", "provisioning", "accepted")]
        self.down = False
        self.audit_queries: list[dict[str, str]] = []

    def calls(self, method: str, path_part: str) -> list[httpx.Request]:
        return [r for r in self.requests if r.method == method and path_part in r.url.path]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        roles = self._roles(request)
        if roles is None:
            return fail(401, "unauthorized", "missing or invalid token")
        path = request.url.path.removeprefix(PREFIX)
        for pattern, method, handler in self._routes():
            found = re.fullmatch(pattern, path)
            if found and request.method == method:
                result: httpx.Response = handler(request, roles, *found.groups())
                return result
        return fail(404, "not_found", "Not Found")

    def _routes(self) -> list[tuple[str, str, Any]]:
        return [
            (r"/me", "GET", self.me),
            (r"/namespaces", "GET", self.list),
            (r"/namespaces/preview", "POST", self.preview),
            (r"/namespaces/request", "POST", self.submit),
            (r"/namespaces/([a-z0-9-]+)", "GET", self.detail),
            (r"/namespaces/([a-z0-9-]+)", "PATCH", self.patch),
            (r"/namespaces/([a-z0-9-]+)", "DELETE", self.decommission),
            (r"/namespaces/([a-z0-9-]+)/manifests", "GET", self.manifests),
            (r"/namespaces/([a-z0-9-]+)/access", "GET", self.access),
            (r"/namespaces/([a-z0-9-]+)/events", "GET", self.stream),
            (r"/namespaces/([a-z0-9-]+)/(approve|reject)", "POST", self.decide),
            (r"/events", "GET", self.stream_all),
            (r"/catalog/templates", "GET", lambda *_: ok([t.to_api() for t in catalog.TEMPLATES])),
            (r"/catalog/templates/([a-z0-9-]+)", "GET", self.template),
            (r"/catalog/categories", "GET", lambda *_: ok(catalog.categories())),
            (r"/analytics/(usage|dashboard|costs|resources)", "GET", self.analytics),
            (r"/audit", "GET", self.audit),
            (r"/audit/facets", "GET", self.audit_facets),
            (r"/teams", "GET", self.teams),
            (r"/rollouts", "GET", self.rollouts),
        ]

    @staticmethod
    def _roles(request: httpx.Request) -> frozenset[str] | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        try:
            claims = jwt.decode(header[7:], options={"verify_signature": False})
        except jwt.PyJWTError:
            return None
        return frozenset(claims.get("roles") or [])

    @staticmethod
    def _teams(roles: frozenset[str]) -> set[str] | None:
        if roles & {"platform:admin", "platform:viewer", "security:admin"}:
            return None
        return {r.split(":")[1] for r in roles if r.startswith("team:")}

    def _visible(self, roles: frozenset[str], name: str) -> dict[str, Any] | None:
        found = self.namespaces.get(name)
        teams = self._teams(roles)
        return found if found and (teams is None or found["team"] in teams) else None

    def me(self, request: httpx.Request, roles: frozenset[str]) -> httpx.Response:
        teams = self._teams(roles)
        return ok(
            {
                "subject": "dev:someone",
                "name": "Someone",
                "email": None,
                "roles": sorted(roles),
                "teams": sorted(teams or []),
                "canSeeAll": teams is None,
                "canReadAudit": bool(roles & {"platform:admin", "security:admin"}),
                "isPlatformAdmin": "platform:admin" in roles,
            }
        )

    def list(self, request: httpx.Request, roles: frozenset[str]) -> httpx.Response:
        status = request.url.params.get("status")
        items = [n for n in self.namespaces.values() if self._visible(roles, n["name"])]
        items = [n for n in items if status in (None, n["status"])]
        return ok({"items": items, "total": len(items), "offset": 0, "limit": 50})

    def detail(self, request: httpx.Request, roles: frozenset[str], name: str) -> httpx.Response:
        found = self._visible(roles, name)
        if found is None:
            return fail(404, "not_found", f"no namespace {name}")
        data = {
            **found,
            "cluster": {"phase": "Active", "exists": True, "matches": True, "missing": [], "drifted": []},
            "quota": [{"resource": "pods", "used": "2", "hard": "10", "ratio": 0.2}],
            "networkPolicySummary": "Ingress only from this namespace",
            "featureSummary": {},
            "cost": COST,
            "timeline": self.events,
            "lastError": found.get("lastError"),
            "rbacConfig": None,
            "attempts": found.get("attempts", 0),
            "maxAttempts": 8,
            "rootCause": found.get("rootCause"),
            **self._actions(request, roles, found),
        }
        return ok(data, headers={"ETag": f'"{found["version"]}"'})

    @staticmethod
    def _actions(request: httpx.Request, roles: frozenset[str], found: dict[str, Any]) -> dict[str, Any]:
        """The same rules as the API (``nsaas.domain.actions``) for the signed-in persona."""
        claims = jwt.decode(request.headers["Authorization"][7:], options={"verify_signature": False})
        who = identity.Principal(subject=str(claims.get("sub")), name="x", roles=roles, source="dev")
        subject = actions.Subject(
            team=found["team"],
            environment=found["environment"],
            status=lifecycle.Status(found["status"]),
            requested_by=found["requestedBy"],
            attempts=found.get("attempts", 0),
        )
        allowed = actions.for_caller(who, subject, protect_production=True)
        return {"allowedActions": list(allowed.allowed), "deniedActions": allowed.denied}

    def access(self, request: httpx.Request, roles: frozenset[str], name: str) -> httpx.Response:
        """``GET .../access`` as /work/notes/access-contract.md describes it (issue 14 builds the real one)."""
        if self._visible(roles, name) is None:
            return fail(404, "not_found", f"no namespace {name}")
        kubeconfig = f"apiVersion: v1\nkind: Config\ncurrent-context: {name}\ncontexts:\n- name: {name}\n"
        data = {
            "namespace": name,
            "cluster": {"name": "aks-dev", "server": "https://aks-dev.example:443"},
            "context": name,
            "kubeconfig": kubeconfig,
            "authentication": "kubelogin",
            "snippets": [{"title": "List pods", "command": f"kubectl --context {name} get pods"}],
            "roles": [{"role": "admin", "subjects": ["team-a-admins"]}, {"role": "view", "subjects": []}],
        }
        return ok(data)

    def manifests(self, request: httpx.Request, roles: frozenset[str], name: str) -> httpx.Response:
        if self._visible(roles, name) is None:
            return fail(404, "not_found", f"no namespace {name}")
        return httpx.Response(200, text=f"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n")

    def _parse(self, request: httpx.Request) -> tuple[dict[str, Any], dict[str, str]]:
        body = json.loads(request.content)
        try:
            spec = bodies.parse_spec(body)
        except errors.ValidationFailed as error:
            return body, error.details
        if spec.environment == "production" and spec.tier == "micro":
            return body, {"resourceTier": "production forbids tier micro"}
        return body, {}

    def preview(self, request: httpx.Request, roles: frozenset[str]) -> httpx.Response:
        body, problems = self._parse(request)
        if problems and "resourceTier" not in problems:
            return fail(400, "validation_failed", "invalid request", problems)
        return ok(
            {
                "allowed": not problems,
                "violations": problems,
                "needsApproval": body["environment"] == "production",
                "cost": COST,
                "bundle": {"digest": "sha256:0", "manifests": [{}]},
                "yaml": "kind: Namespace\n",
            }
        )

    def submit(self, request: httpx.Request, roles: frozenset[str]) -> httpx.Response:
        body, problems = self._parse(request)
        if problems:
            return fail(
                400, "validation_failed", f"the namespace request has {len(problems)} invalid field(s)", problems
            )
        name = body["namespaceName"]
        pending = body["environment"] == "production"
        self.namespaces[name] = summary(name, body["team"], status="pending-approval" if pending else "provisioning")
        return ok(
            {
                "requestId": f"id-{name}",
                "namespaceName": name,
                "status": self.namespaces[name]["status"],
                "statusUrl": "/x",
                "estimatedSeconds": 5,
                "needsApproval": pending,
            },
            status=202,
        )

    def patch(self, request: httpx.Request, roles: frozenset[str], name: str) -> httpx.Response:
        found = self._visible(roles, name)
        if found is None:
            return fail(404, "not_found", f"no namespace {name}")
        if request.headers.get("If-Match") != f'"{found["version"]}"':
            return fail(412, "precondition_failed", "stale version")
        body = json.loads(request.content)
        if body.get("resourceTier") not in (None, "micro", "small", "medium", "large"):
            return fail(400, "validation_failed", "bad tier", {"resourceTier": "must be one of micro, small"})
        found.update(tier=body.get("resourceTier", found["tier"]), status="updating", version=found["version"] + 1)
        return ok(found, headers={"ETag": f'"{found["version"]}"'})

    def decommission(self, request: httpx.Request, roles: frozenset[str], name: str) -> httpx.Response:
        found = self._visible(roles, name)
        if found is None:
            return fail(404, "not_found", f"no namespace {name}")
        found["status"] = "decommissioning"
        return ok(found, status=202)

    def decide(self, request: httpx.Request, roles: frozenset[str], name: str, verb: str) -> httpx.Response:
        found = self._visible(roles, name)
        if found is None:
            return fail(404, "not_found", f"no namespace {name}")
        if "platform:admin" not in roles:
            return fail(403, "forbidden", "production needs a platform approver")
        found["status"] = "provisioning" if verb == "approve" else "rejected"
        return ok(found)

    def _sse(self, events: list[dict[str, Any]]) -> httpx.Response:
        text = "".join(f"id: {e['id']}\nevent: {e['kind']}\ndata: {json.dumps(e)}\n\n" for e in events)
        return httpx.Response(200, text=text, headers={"Content-Type": "text/event-stream"})

    def stream(self, request: httpx.Request, roles: frozenset[str], name: str) -> httpx.Response:
        if self._visible(roles, name) is None:
            return fail(404, "not_found", f"no namespace {name}")
        after = int(request.headers.get("Last-Event-ID") or 0)
        return self._sse([e for e in self.events if e["namespace"] == name and e["id"] > after])

    def stream_all(self, request: httpx.Request, roles: frozenset[str]) -> httpx.Response:
        return self._sse([e for e in self.events if self._visible(roles, e["namespace"])])

    def template(self, request: httpx.Request, roles: frozenset[str], template_id: str) -> httpx.Response:
        try:
            return ok(catalog.get(template_id).to_api())
        except errors.NotFound:
            return fail(404, "not_found", f"no template {template_id}")

    def analytics(self, request: httpx.Request, roles: frozenset[str], which: str) -> httpx.Response:
        today = dt.date(2025, 1, 31)
        data: dict[str, Any] = {
            "usage": {
                "total": 2,
                "byStatus": {"ready": 2},
                "byTeam": {"team-a": 1, "team-b": 1},
                "byEnvironment": {"development": 2},
                "byTier": {"small": 2},
                "days": 2,
                "createdPerDay": [
                    {"day": str(today - dt.timedelta(days=1)), "count": 0},
                    {"day": str(today), "count": 2},
                ],
            },
            "dashboard": {
                "total": 2,
                "byStatus": {"ready": 2},
                "pendingApprovals": 0,
                "provisioning": {
                    "succeeded": 2,
                    "failed": 0,
                    "successRate": 1.0,
                    "samples": 2,
                    "p50Seconds": 1.5,
                    "p95Seconds": 2.0,
                    "maxSeconds": 2.0,
                },
            },
            "costs": {
                "isEstimate": True,
                "currency": "USD",
                "basis": "Estimate from the price table.",
                "totalMonthly": 170.0,
                "byTeam": {"team-a": 85.0, "team-b": 85.0},
                "byTier": {"small": 170.0},
            },
            "resources": {"basis": "Sum of quota reservations.", "byTeam": {}, "byEnvironment": {}},
        }
        return ok(data[which])

    def teams(self, request: httpx.Request, roles: frozenset[str]) -> httpx.Response:
        """The real API's wire format: team-a registered with a cap, team-b living under the defaults."""
        registered = teams.TeamRecord(
            name="team-a",
            settings=teams.TeamSettings(
                namespace_cap=3,
                budget=teams.Budget(cpu=Decimal(8)),
                allowed_tiers=("micro", "small"),
                owner_groups=("g-team-a-owners",),
                cost_center="CC-A",
            ),
            version=2,
            created_at=dt.datetime.fromisoformat(NOW),
            updated_at=dt.datetime.fromisoformat(NOW),
            created_by="dev:platform-admin",
            updated_by="dev:platform-admin",
        )
        rules = config.PolicySettings()
        found = {
            "team-a": TeamView("team-a", registered, teams.limits(registered, rules)),
            "team-b": TeamView("team-b", None, teams.limits(None, rules)),
        }
        visible = self._teams(roles)
        wire = [
            team_routes.TeamOut.model_validate(team_routes.team_out(v)).model_dump(mode="json") for v in found.values()
        ]
        return ok([team for team in wire if visible is None or team["name"] in visible])

    def rollouts(self, request: httpx.Request, roles: frozenset[str]) -> httpx.Response:
        """The real API's wire format: one rollout halted at its second wave."""
        if self._teams(roles) is not None:
            return fail(403, "forbidden", "only platform roles may read rollouts")
        at = dt.datetime.fromisoformat(NOW)
        halted = rollouts.Rollout(
            id="0b6f9d2e-0000-4000-8000-000000000001",
            template="standard",
            version=2,
            waves=(rollouts.Wave(("development",), 100), rollouts.Wave(("staging",), 100)),
            state="halted",
            current_wave=1,
            pause_seconds=300,
            max_failure_rate=0.2,
            next_at=None,
            created_at=at,
            created_by="dev:platform-admin",
            updated_at=at,
            reason="halted at wave 2: 33% of its namespaces failed (threshold 20%)",
        )
        failed = rollouts.Target(halted.id, "r1", "shop-stg", 1, 1, "failed", "v1/Namespace/shop-stg: denied")
        progress = Progress(
            rollout=halted,
            counts={(0, "applied"): 4, (1, "applied"): 2, (1, "failed"): 1, (None, "skipped"): 1},
            problems=[failed],
        )
        out = rollout_routes.RolloutOut.model_validate(rollout_routes.rollout_out(progress))
        return ok([out.model_dump(mode="json")])

    def audit_facets(self, request: httpx.Request, roles: frozenset[str]) -> httpx.Response:
        if not roles & {"platform:admin", "security:admin"}:
            return fail(403, "forbidden", "the audit log is for platform and security admins")
        facets = {"actions": ["namespace.request", "namespace.update"], "actors": ["dev:a"], "teams": ["team-a"]}
        return ok(facets)

    def audit(self, request: httpx.Request, roles: frozenset[str]) -> httpx.Response:
        if not roles & {"platform:admin", "security:admin"}:
            return fail(403, "forbidden", "the audit log is for platform and security admins")
        item = {
            "id": 1,
            "at": NOW,
            "actor": "dev:team-a-developer",
            "roles": [],
            "action": "namespace.update",
            "targetType": "namespace",
            "target": "alpha",
            "before": {"resourceTier": "small", "team": "team-a", "digest": "sha256:" + "a" * 64},
            "after": {"resourceTier": "medium", "team": "team-a", "digest": "sha256:" + "b" * 64},
            "correlationId": None,
            "sourceIp": "127.0.0.1",
            "userAgent": "x",
            "outcome": "success",
            "detail": None,
        }
        self.audit_queries.append(dict(request.url.params))
        return ok({"items": [item], "total": 1, "offset": 0, "limit": 50})

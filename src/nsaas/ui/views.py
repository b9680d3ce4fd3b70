"""Rendering: every page gets the signed-in user, the CSRF token, the navigation and flashes.

Also the pages for what went wrong, so a failure reads the same everywhere: a namespace that is
not visible is "not found" (the API answers 404 for a foreign team's namespace and the UI says
exactly that), an API outage says the API is unavailable, a stale form says to reload.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from nsaas.ui import platform_api, sessions, state

NAV = (
    ("/", "Dashboard", None),
    ("/namespaces", "Namespaces", None),
    ("/request", "Request", "requester"),
    ("/catalog", "Catalog", None),
    ("/teams", "Teams", None),
    ("/rollouts", "Rollouts", "platform"),
    ("/approvals", "Approvals", "approver"),
    ("/analytics", "Analytics", None),
    ("/audit", "Audit log", "audit"),
    ("/settings/notifications", "Settings", None),
)


def nav_for(me: sessions.Identity | None, path: str) -> list[dict[str, Any]]:
    if me is None:
        return []
    allowed: set[str | None] = {None}
    if me.can_approve:
        allowed.add("approver")
    if me.can_read_audit:
        allowed.add("audit")
    if can_request(me):
        allowed.add("requester")
    if me.can_see_all:
        allowed.add("platform")
    items = []
    for href, label, needs in NAV:
        if needs in allowed:
            current = path == href or (href != "/" and path.startswith(href + "/"))
            items.append({"href": href, "label": label, "current": current})
    return items


def can_request(me: sessions.Identity) -> bool:
    """Members of a team request for it; platform admins and engineers for any team; viewers never."""
    return bool(me.teams) or me.is_platform_admin or "platform:engineer" in me.roles


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(request: Request, template: str, context: dict[str, Any] | None = None, *, status: int = 200) -> Response:
    ui = state.of(request)
    session = _session(request)
    me = session.identity if session else None
    flashes: list[str] = []
    if session is not None and session.flashes and not is_htmx(request):
        flashes, session.flashes = session.flashes, []
    base = {
        "me": me,
        "csrf": session.csrf if session else "",
        "nav": nav_for(me, request.url.path),
        "flashes": flashes,
        "dev_mode": ui.dev_mode,
        "can_request": me is not None and can_request(me),
    }
    return ui.templates.TemplateResponse(request, template, {**base, **(context or {})}, status_code=status)


def _session(request: Request) -> sessions.Session | None:
    """The session, or none when the error handler of a crash runs outside the session middleware."""
    try:
        return sessions.handle_of(request).current
    except RuntimeError:
        return None


def flash(request: Request, message: str) -> None:
    session = sessions.handle_of(request).current
    if session is not None:
        session.flashes.append(message)


def problem(request: Request, error: platform_api.ApiError, *, what: str = "page") -> Response:
    """The page for an API error a user cannot fix in a form: not found, forbidden, unavailable."""
    if error.status == 404:
        title, text, status = "Not found", f"This {what} does not exist, or it is not visible to you.", 404
    elif error.status == 403:
        title, text, status = "Not allowed", f"Your roles do not allow this: {error.message}.", 403
    elif error.status == 429:
        wait = f" Try again in {error.retry_after} s." if error.retry_after else ""
        title, text, status = "Slow down", f"Too many requests.{wait}", 429
    elif error.unavailable:
        title, text, status = "Platform API unavailable", f"The Platform API is not answering: {error.message}", 503
    else:
        title, text, status = "Request refused", error.message, error.status
    template = "_problem.html" if is_htmx(request) else "problem.html"
    # Field details explain a refused form; on a page of their own they read as internals ("role: admin").
    details = error.details if status in (400, 409, 422) else {}
    context = {"title": title, "text": text, "request_id": error.request_id, "details": details}
    return render(request, template, context, status=status)


PAGES = {
    403: ("Not allowed", "Your roles do not allow this page. Ask a team or platform admin if you need it."),
    404: ("Page not found", "There is no page at this address. Check the link, or start again from the dashboard."),
    405: ("Not possible here", "This address does not accept that kind of request."),
    500: ("Something went wrong", "The portal hit an unexpected error. It has been logged; try again in a moment."),
}


def error_page(request: Request, status: int) -> Response:
    """An error of the UI itself (not of the API) in the portal's layout, with a friendly sentence."""
    title, text = PAGES.get(status, ("Request refused", "The portal could not handle this request."))
    template = "_problem.html" if is_htmx(request) else "problem.html"
    return render(request, template, {"title": title, "text": text, "details": {}}, status=status)


def team_cap(request: Request) -> int:
    """The per-team namespace cap of the policy (the same settings the API reads)."""
    return state.of(request).settings.policy.team_namespace_cap

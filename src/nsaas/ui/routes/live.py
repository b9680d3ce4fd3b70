"""Live updates: the API's Server-Sent Events, re-sent to the browser as ready-to-swap HTML.

The browser cannot call the API itself (its token stays on the server), so the UI opens the
API's stream with the user's token and turns each JSON event into named events the htmx SSE
extension swaps into the page:

* ``/live/namespaces/{name}``: ``timeline`` (a new ``<li>``), and for status changes ``badge``,
  ``progress`` and ``refresh`` (the read-only overview reloads itself on it), plus ``actions``
  when the status changes which actions exist (so a form being filled in is not wiped by a
  mere provisioning -> ready step).
* ``/live/events``: ``ns-<name>`` with the new badge, for list and dashboard rows.

Every event keeps the API's ``id``, so when the browser reconnects with ``Last-Event-ID`` the
API resumes exactly there and nothing is lost or repeated.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import markupsafe
from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from nsaas.ui import auth, platform_api, progress, state

router = APIRouter()
HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
#: A status event in one of these may be a namespace an open list does not show yet: the list reloads.
NEW_ROW_STATUSES = frozenset({"pending-approval", "provisioning"})


def frame(event: str, html: str, *, event_id: str | None = None) -> str:
    """One SSE message; each line of the HTML becomes its own ``data:`` line, as the format requires."""
    lines = [f"event: {event}"]
    if event_id:
        lines.append(f"id: {event_id}")
    lines += [f"data: {line}" for line in (html.splitlines() or [""])]
    return "\n".join(lines) + "\n\n"


def _render(request: Request, template: str, **context: Any) -> str:
    engine = state.of(request).templates
    return engine.get_template(template).render(**context)


class NamespaceFramer:
    """Turns one namespace's events into frames; remembers the action group to reload actions only on change."""

    def __init__(self, status: str, *, approval: bool = True) -> None:
        self.group = progress.action_group(status)
        self.approval = approval or status == "pending-approval"

    def __call__(self, request: Request, event: dict[str, Any], event_id: str | None) -> list[str]:
        frames = [frame("timeline", _render(request, "_event.html", event=event), event_id=event_id)]
        status = event.get("status")
        if event.get("kind") == "status" and status:
            frames.append(frame("badge", _render(request, "_badge.html", status=status)))
            frames.append(
                frame(
                    "progress",
                    _render(request, "_progress.html", stages=progress.stages(str(status), approval=self.approval)),
                )
            )
            frames.append(frame("refresh", "1"))
            group = progress.action_group(str(status))
            if group != self.group:
                self.group = group
                frames.append(frame("actions", "1"))
        return frames


def list_frames(request: Request, event: dict[str, Any], event_id: str | None) -> list[str]:
    if event.get("kind") != "status" or not event.get("namespace") or not event.get("status"):
        return []
    html = _render(request, "_badge.html", status=event["status"])
    frames = [frame(f"ns-{event['namespace']}", html, event_id=event_id)]
    if event["status"] in NEW_ROW_STATUSES:
        frames.append(frame("listchange", str(markupsafe.escape(event["namespace"]))))
    return frames


async def _relay(
    request: Request, api: platform_api.PlatformApi, path: str, *, resume: str | None, to_frames: Any
) -> AsyncIterator[str]:
    try:
        async with api.events(path, last_event_id=resume) as source:
            async for message in source.aiter_sse():
                if not message.data:
                    continue
                try:
                    event = json.loads(message.data)
                except ValueError:
                    continue
                for text in to_frames(request, event, message.id or None):
                    yield text
    except platform_api.ApiError as error:
        # The stream ends; the browser's EventSource retries, and a 404 says so in the timeline.
        yield frame("gone", f"<p class='note'>{markupsafe.escape(error.message)}</p>")


def _resume(request: Request) -> str | None:
    return request.headers.get("Last-Event-ID") or request.query_params.get("after") or None


@router.get("/live/namespaces/{name}")
async def namespace_stream(request: Request, api: auth.ApiDep, name: str) -> Response:
    query = request.query_params
    framer = NamespaceFramer(query.get("status", ""), approval=query.get("approval", "1") != "0")
    stream = _relay(request, api, f"/namespaces/{name}/events", resume=_resume(request), to_frames=framer)
    return StreamingResponse(stream, media_type="text/event-stream", headers=HEADERS)


@router.get("/live/events")
async def all_stream(request: Request, api: auth.ApiDep) -> Response:
    stream = _relay(request, api, "/events", resume=_resume(request), to_frames=list_frames)
    return StreamingResponse(stream, media_type="text/event-stream", headers=HEADERS)

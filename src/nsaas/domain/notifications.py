"""Notifications: which happenings notify a team, and the payload each channel format receives.

Every notification comes from a status event (the durable timeline), so nothing on the request
path has to remember to notify: the notifier reads events after its cursor, classifies them here,
and queues one delivery per matching channel. The payload carries a stable ``id`` (event and
channel), sent again on every retry, so a receiver that sees the same id twice can drop it:
delivery is at least once, duplicates are recognisable.

Formats: ``generic`` (plain JSON for any automation), ``slack`` (an incoming-webhook message with
``text`` and blocks) and ``teams`` (a Microsoft Teams connector MessageCard).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from nsaas.domain import errors, failures, records

NoticeType = Literal["approval-needed", "approved", "rejected", "failed", "ttl-warning", "expired"]
TYPES: tuple[NoticeType, ...] = ("approval-needed", "approved", "rejected", "failed", "ttl-warning", "expired")
Format = Literal["generic", "slack", "teams"]
FORMATS: tuple[Format, ...] = ("generic", "slack", "teams")
TITLES: dict[NoticeType, str] = {
    "approval-needed": "Approval needed",
    "approved": "Approved",
    "rejected": "Rejected",
    "failed": "Provisioning failed",
    "ttl-warning": "Expires soon",
    "expired": "Expired",
}
COLORS: dict[NoticeType, str] = {
    "approval-needed": "D97706",
    "approved": "16A34A",
    "rejected": "B91C1C",
    "failed": "B91C1C",
    "ttl-warning": "D97706",
    "expired": "6B7280",
}
MAX_NAME = 100
MAX_URL = 2000
#: The approve use case writes this event message; it is the one status event that says "approved".
_APPROVED = re.compile(r"^approved by ")


def classify(*, kind: str, status: str, message: str, data: Mapping[str, Any]) -> NoticeType | None:
    """The notification a status event stands for, or None for events nobody is notified of."""
    if kind == "warning" and "hoursLeft" in data:
        return "ttl-warning"
    if kind != "status":
        return None
    if status == "pending-approval":
        return "approval-needed"
    if status == "provisioning" and _APPROVED.match(message):
        return "approved"
    if status in ("rejected", "failed", "expired"):
        return status  # type: ignore[return-value]
    return None


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification of one channel: what happened to which namespace, and where to look."""

    id: str
    type: NoticeType
    namespace: str
    team: str
    status: str
    message: str
    at: str
    link: str

    def generic(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "title": TITLES[self.type],
            "namespace": self.namespace,
            "team": self.team,
            "status": self.status,
            "message": self.message,
            "at": self.at,
            "link": self.link,
        }

    def headline(self) -> str:
        return f"{TITLES[self.type]}: {self.namespace} ({self.team})"


def payload(notice: Notice, *, fmt: Format) -> dict[str, Any]:
    """The JSON body a channel of format ``fmt`` receives for ``notice``."""
    if fmt == "slack":
        text = f"*{notice.headline()}*\n{notice.message}\n<{notice.link}|Open in the portal>"
        return {
            "text": f"{notice.headline()}: {notice.message}",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
            "metadata": {"event_type": "nsaas_notification", "event_payload": notice.generic()},
        }
    if fmt == "teams":
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": notice.headline(),
            "themeColor": COLORS[notice.type],
            "title": notice.headline(),
            "text": notice.message,
            "potentialAction": [
                {"@type": "OpenUri", "name": "Open in the portal", "targets": [{"os": "default", "uri": notice.link}]}
            ],
            "nsaas": notice.generic(),
        }
    return notice.generic()


@dataclass(frozen=True, slots=True)
class Channel:
    """Where a team's notifications go: a webhook URL, its payload format and the types it wants."""

    id: str
    team: str
    name: str
    url: str
    format: str
    events: tuple[str, ...]
    created_by: str
    created_at: datetime

    def public(self) -> dict[str, Any]:
        """The channel as the API shows it: the URL's secret part (path and query) is not repeated."""
        scheme, _, rest = self.url.partition("://")
        host = rest.split("/", 1)[0]
        return {
            "id": self.id,
            "team": self.team,
            "name": self.name,
            "url": f"{scheme}://{host}/…",
            "format": self.format,
            "events": list(self.events),
            "createdBy": self.created_by,
            "createdAt": self.created_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Queued:
    """A delivery to queue: ``dedup_key`` names the happening (event) and the channel."""

    dedup_key: str
    channel_id: str
    event_type: str
    payload: dict[str, Any]


def deliveries(events: Sequence[records.EventRecord], channels: Sequence[Channel], *, portal_url: str) -> list[Queued]:
    """One delivery per event that notifies and channel of its team that wants that type."""
    found: list[Queued] = []
    for event in events:
        kind = classify(kind=event.kind, status=str(event.status), message=event.message, data=event.data)
        if kind is None:
            continue
        for channel in channels:
            if channel.team != event.team or kind not in channel.events:
                continue
            notice = Notice(
                id=f"{event.id}:{channel.id}",
                type=kind,
                namespace=event.namespace,
                team=event.team,
                status=str(event.status),
                message=failures.root_cause(event.message) or event.message,
                at=event.at.isoformat(),
                link=f"{portal_url.rstrip('/')}/namespaces/{event.namespace}",
            )
            fmt: Format = "slack" if channel.format == "slack" else "teams" if channel.format == "teams" else "generic"
            found.append(Queued(notice.id, channel.id, kind, payload(notice, fmt=fmt)))
    return found


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    team: str
    name: str
    url: str
    format: Format
    events: tuple[NoticeType, ...]


def parse_channel(body: Mapping[str, Any], *, allow_http: bool) -> ChannelSpec:
    """A channel from an API body, or ValidationFailed naming every bad field."""
    problems: dict[str, str] = {}
    team = str(body.get("team") or "").strip()
    if not team:
        problems["team"] = "is required"
    name = str(body.get("name") or "").strip()
    if not 1 <= len(name) <= MAX_NAME:
        problems["name"] = f"1 to {MAX_NAME} characters"
    url = str(body.get("url") or "").strip()
    schemes = ("https://", "http://") if allow_http else ("https://",)
    if not url.startswith(schemes) or len(url) > MAX_URL or any(c.isspace() for c in url) or url[-3:] == "://":
        problems["url"] = (
            "an https:// URL" + (" (or http://)" if allow_http else "") + f" of at most {MAX_URL} characters"
        )
    fmt = body.get("format", "generic")
    if fmt not in FORMATS:
        problems["format"] = f"one of {', '.join(FORMATS)}"
    events = body.get("events", list(TYPES))
    if not isinstance(events, list) or not events or any(e not in TYPES for e in events):
        problems["events"] = f"a non-empty list of {', '.join(TYPES)}"
    if problems:
        raise errors.ValidationFailed("the channel is not valid", details=problems)
    chosen = tuple(t for t in TYPES if t in events)
    return ChannelSpec(team=team, name=name, url=url, format=fmt, events=chosen)

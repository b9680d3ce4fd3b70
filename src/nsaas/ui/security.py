"""Security headers on every response, static files and streams included.

The Content-Security-Policy allows scripts and styles from this origin only: no inline script,
no ``style=`` attribute, no ``eval`` (htmx runs with ``allowEval: false``; chart data travels in
``application/json`` data blocks, which are never executed). ``frame-ancestors 'none'`` stops
click-jacking; ``form-action 'self'`` keeps every form on this origin. HSTS is sent only when the
public URL is https, because a browser remembers it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HSTS = "max-age=31536000; includeSubDomains"


def headers(*, https: bool) -> dict[str, str]:
    found = {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if https:
        found["Strict-Transport-Security"] = HSTS
    return found


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.headers = headers(https=https)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                target = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    target.setdefault(name, value)
                if "Cache-Control" not in target and not scope["path"].startswith("/static/"):
                    target["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)

"""What the browser tests share: a signed-in page per persona, console checks, axe, common steps.

Every page opened through :class:`Portal` records console errors and CSP refusals; the fixture
that hands out a Portal fails the test if any appeared, so "no console errors" is checked on
every page every browser test visits, not in one test.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Response, expect

SLOW = 30_000
WIDTHS = (1280, 390)
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
#: axe impacts that fail a test; moderate and minor ones are reported, not failed.
BLOCKING = ("serious", "critical")


class Portal:
    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.console_errors: list[str] = []
        self._contexts: list[BrowserContext] = []

    def page(self, *, width: int = 1280, dark: bool = False) -> Page:
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport={"width": width, "height": 900},
            color_scheme="dark" if dark else "light",
            timezone_id="Europe/Berlin",
            locale="en-GB",
        )
        self._contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on("console", self._console)
        page.on("response", self._response)
        page.on("pageerror", lambda error: self.console_errors.append(f"page error: {error}"))
        return page

    def signed_in(self, persona: str, *, width: int = 1280, dark: bool = False) -> Page:
        page = self.page(width=width, dark=dark)
        page.goto("/login")
        page.locator(f'button[data-persona="{persona}"]').click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")
        return page

    def _response(self, response: Response) -> None:
        """A failed sub-resource (an icon, a script, a fragment htmx loads) is an error of the page;
        a page that is an error page on purpose (404, 403) is the document itself and not counted."""
        if response.status >= 400 and response.request.resource_type != "document":
            self.console_errors.append(f"{response.status} for {response.request.resource_type} {response.url}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.text.startswith("Failed to load resource"):
            return  # reported with its URL and kind by _response
        if message.type == "error" or "Content Security Policy" in message.text or "Refused to" in message.text:
            where = message.location.get("url", "") if message.location else ""
            self.console_errors.append(f"{message.text} ({where})")

    def close(self) -> None:
        for context in self._contexts:
            context.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def request_namespace(page: Page, name: str, *, environment: str = "development", tier: str = "small") -> None:
    page.goto("/request")
    page.get_by_label("Namespace name").fill(name)
    page.get_by_label("Environment").select_option(environment)
    page.get_by_label("Resource tier").select_option(tier)
    page.get_by_label("monitoring-enhanced").check()
    expect(page.locator("#preview")).to_contain_text("Valid.")
    page.get_by_role("button", name="Submit request").click()
    page.wait_for_url(f"**/namespaces/{name}")


def mark_page(page: Page) -> None:
    page.evaluate("window.nsaasNotReloaded = true")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("window.nsaasNotReloaded === true"), "the page was reloaded instead of updated live"


def axe(page: Page) -> list[dict[str, Any]]:
    """Run the vendored axe-core on the page as it is now; its violations (WCAG 2.x A/AA and best practice)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text())  # evaluated by the driver, so the page's CSP does not apply
    result = page.evaluate(
        "async () => { const r = await axe.run(document, {resultTypes: ['violations']});"
        " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))})); }"
    )
    found: list[dict[str, Any]] = result
    return found


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v.get("impact") in BLOCKING]


def save_results(path: Path, results: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, sort_keys=True))

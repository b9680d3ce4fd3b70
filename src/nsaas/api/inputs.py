"""Input hygiene for every route: no NUL characters anywhere, and bounded path parameters.

PostgreSQL refuses NUL in text (a 500 from the database if it got that far) and nothing a person
types contains one, so a NUL in a path or query parameter or anywhere in a JSON body is bad
input: 400 naming each field, before any handler or query runs. Field lengths of bodies and
queries are bounded by their schemas; path parameters are bounded here.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from nsaas.domain import errors
from nsaas.services import bodies

#: Longer than any name or id this API issues (namespace names are at most 63, DNS names 253).
MAX_PATH_PARAM = 253
#: What a field with a NUL is told, wherever it is caught: here, or by the body model for callers that
#: do not come through the HTTP API (GitOps, the CLI's offline render).
NUL_MESSAGE = bodies.NUL_MESSAGE


async def check(request: Request) -> None:
    """An app-wide dependency: raises :class:`errors.ValidationFailed` naming every bad field."""
    problems: dict[str, str] = {}
    for name, value in request.path_params.items():
        if isinstance(value, str):
            if "\x00" in value:
                problems[name] = NUL_MESSAGE
            elif len(value) > MAX_PATH_PARAM:
                problems[name] = f"must be at most {MAX_PATH_PARAM} characters"
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            problems[name.replace("\x00", "\\0")] = NUL_MESSAGE
    if request.method in ("POST", "PUT", "PATCH"):
        body = await request.body()
        if b"\\u0000" in body or b"\x00" in body:
            problems.update(_nul_fields(body))
    if problems:
        raise errors.ValidationFailed(f"{len(problems)} invalid field(s)", details=problems)


def _nul_fields(body: bytes) -> dict[str, str]:
    try:
        document = json.loads(body)
    except ValueError:
        return {"body": "must be valid JSON without NUL characters"}
    found: dict[str, str] = {}
    _walk(document, "", found)
    return found


def _walk(value: Any, path: str, found: dict[str, str]) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            found[path or "body"] = NUL_MESSAGE
    elif isinstance(value, dict):
        for key, item in value.items():
            field = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                found[field.replace("\x00", "\\0")] = NUL_MESSAGE
            _walk(item, field, found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}.{index}" if path else str(index), found)

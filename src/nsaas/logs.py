"""Structured logging: JSON lines carrying the request and correlation ids of the current call.

The ids live in structlog's context variables, bound by the API and UI middleware and by the
reconciler for each request it works on, so every log line of one operation can be joined; the
OpenTelemetry trace and span ids are added from the current span (``nsaas.tracing``).

Logs never carry credentials: fields named like a secret are masked, and bearer tokens, JWTs
and URL passwords are masked inside any text (tracebacks included). SQL parameters never get
that far: the database engine is created with ``hide_parameters``.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO, cast

import structlog

from nsaas import tracing


class _CurrentStderr:
    """Whatever ``sys.stderr`` is when a line is written (a test's capture, a replaced stream), not the
    stream that was current when logging was configured, which may be closed by then."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


MASK = "[redacted]"
_SECRET_KEYS = re.compile(r"(authorization|token|secret|password|passwd|cookie|api[_-]?key|jwt|credential)", re.I)
_SECRET_TEXT = (
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+"), r"\1 " + MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MASK),
    (re.compile(r"(://[^:/@\s]+:)[^@\s]+@"), r"\1" + MASK + "@"),
)


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor masking secret-named fields and secrets inside text values."""
    for key, value in list(event.items()):
        if _SECRET_KEYS.search(key):
            event[key] = MASK
        elif isinstance(value, str):
            event[key] = redact_text(value)
    return event


def redact_text(text: str) -> str:
    for pattern, replacement in _SECRET_TEXT:
        text = pattern.sub(replacement, text)
    return text


def configure(*, level: str = "INFO", json: bool = True) -> None:
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        tracing.add_trace_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        redact,
    ]
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelNamesMapping().get(level.upper(), 20)),
        logger_factory=structlog.PrintLoggerFactory(file=cast(TextIO, _CurrentStderr())),
        cache_logger_on_first_use=False,
    )

"""Structured logging: JSON lines carrying the request and correlation ids of the current call.

The ids live in structlog's context variables, bound by the API and UI middleware and by the
reconciler for each request it works on, so every log line of one operation can be joined; the
OpenTelemetry trace and span ids are added from the current span (``nsaas.tracing``).
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO, cast

import structlog

from nsaas import tracing


class _CurrentStderr:
    """Whatever ``sys.stderr`` is when a line is written (a test's capture, a replaced stream), not the
    stream that was current when logging was configured, which may be closed by then."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure(*, level: str = "INFO", json: bool = True) -> None:
    processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        tracing.add_trace_ids,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
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

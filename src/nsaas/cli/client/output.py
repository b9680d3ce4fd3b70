"""``-o table|json|yaml``: the same data for people (a rich table) and for scripts (JSON or YAML)."""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from typing import Any

import typer
import yaml
from rich.console import Console
from rich.table import Table


class Format(enum.StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


#: Columns of a namespace summary in table form: (header, key).
SUMMARY_COLUMNS = (
    ("NAME", "name"),
    ("TEAM", "team"),
    ("ENV", "environment"),
    ("TIER", "tier"),
    ("STATUS", "status"),
    ("SOURCE", "source"),
    ("EXPIRES", "expiresAt"),
)


def console() -> Console:
    return Console(soft_wrap=True)


def emit(data: Any, fmt: Format, *, columns: Sequence[tuple[str, str]] = SUMMARY_COLUMNS) -> None:
    """Print ``data`` (one object or a list of objects) in ``fmt``."""
    if fmt == Format.json:
        typer.echo(json.dumps(data, indent=2, default=str))
    elif fmt == Format.yaml:
        typer.echo(yaml.safe_dump(data, sort_keys=False, default_flow_style=False), nl=False)
    elif isinstance(data, list):
        table = Table(box=None, pad_edge=False, header_style="bold")
        for header, _ in columns:
            table.add_column(header)
        for item in data:
            table.add_row(*(_cell(item.get(key)) for _, key in columns))
        console().print(table)
    else:
        table = Table(box=None, pad_edge=False, show_header=False)
        table.add_column(style="bold")
        table.add_column()
        for key, value in data.items():
            nested = isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value))
            if not nested:
                table.add_row(key, _cell(value))
        console().print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "-"
    return str(value)

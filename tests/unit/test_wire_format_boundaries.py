"""The domain knows neither the API's wire format nor the database's: no ``to_api`` grows back there.

The API renders records and service results (``nsaas.api.schemas``), the database adapter owns
its stored JSON (``nsaas.adapters.db.rows``) and the request bodies are one Pydantic model
(``nsaas.services.bodies``). A ``to_api`` method inside ``nsaas.domain`` would bring the wire
format back into the domain.
"""

from __future__ import annotations

import ast
from pathlib import Path

import nsaas.domain

DOMAIN = Path(nsaas.domain.__file__).parent
#: Left for the catalog rework (issue 17 changes the templates): its wire shape still lives in the domain.
NOT_YET_MOVED = {"catalog.py"}


def _modules() -> list[Path]:
    return [p for p in sorted(DOMAIN.glob("*.py")) if p.name not in NOT_YET_MOVED]


def test_no_domain_module_defines_a_to_api() -> None:
    found = [
        f"{path.name}:{node.lineno}"
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "to_api"
    ]
    assert not found, f"the wire format belongs to the API layer, not the domain: {found}"

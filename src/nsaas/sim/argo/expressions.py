"""Argo's small languages: ``{{...}}`` substitution, ``when`` expressions, resource conditions.

* Substitution replaces ``{{inputs.parameters.X}}``, ``{{workflow.parameters.X}}``,
  ``{{workflow.name|namespace|uid|creationTimestamp|status}}``, ``{{workflow.labels.X}}``,
  ``{{workflow.annotations.X}}``, ``{{item}}`` and ``{{item.field}}``. An object or list
  item renders as compact JSON (valid YAML, so ``manifest: "{{item}}"`` works). A reference that
  cannot be resolved is an error, as it is when Argo validates a workflow.
* ``when``: comparisons ``a == b`` / ``a != b`` (quotes optional) joined by ``&&`` and ``||``, or a
  bare ``true`` / ``false``.
* Resource ``successCondition`` / ``failureCondition``: comma-separated ``path op value``
  requirements, all of which must hold; ops ``==`` ``=`` ``!=`` ``in`` ``notin`` ``>`` ``<``;
  ``\\.`` escapes a dot inside a map key (``metadata.labels.platform\\.io/team == a``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_VARIABLE = re.compile(r"{{\s*([^{}]+?)\s*}}")
_COMPARISON = re.compile(r"^\s*(.*?)\s*(==|!=)\s*(.*?)\s*$")
_REQUIREMENT = re.compile(r"^\s*(\S+)\s+(==|=|!=|in|notin|>|<)\s+(.+?)\s*$")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


class ExpressionError(ValueError):
    """A template expression that cannot be evaluated; the node fails with this message."""


def render(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def substitute(text: str, scope: Mapping[str, Any]) -> str:
    """Replace every ``{{name}}`` in ``text`` from ``scope`` (flat names; ``item`` resolves fields)."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in scope:
            return render(scope[name])
        if name.startswith("item.") and isinstance(scope.get("item"), Mapping):
            current: Any = scope["item"]
            for part in name.split(".")[1:]:
                if not isinstance(current, Mapping) or part not in current:
                    raise ExpressionError(f"unable to resolve {{{{{name}}}}}")
                current = current[part]
            return render(current)
        raise ExpressionError(f"unable to resolve {{{{{name}}}}}")

    return _VARIABLE.sub(replace, text)


def substitute_all(value: Any, scope: Mapping[str, Any]) -> Any:
    """Substitute inside every string of a JSON-like structure."""
    if isinstance(value, str):
        return substitute(value, scope)
    if isinstance(value, list):
        return [substitute_all(v, scope) for v in value]
    if isinstance(value, dict):
        return {k: substitute_all(v, scope) for k, v in value.items()}
    return value


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _comparison(text: str) -> bool:
    stripped = text.strip()
    if stripped.lower() in ("true", "false"):
        return stripped.lower() == "true"
    match = _COMPARISON.match(stripped)
    if not match:
        raise ExpressionError(f"unsupported when expression: {text!r}")
    equal = _unquote(match.group(1)) == _unquote(match.group(3))
    return equal if match.group(2) == "==" else not equal


def when(expression: str) -> bool:
    """Evaluate an already substituted ``when`` expression."""
    return any(all(_comparison(term) for term in clause.split("&&")) for clause in expression.split("||"))


def _path(text: str) -> list[str]:
    return [part.replace("\0", ".") for part in text.replace("\\.", "\0").split(".")]


def lookup(obj: Any, path: str) -> Any:
    current = obj
    for part in _path(path):
        if isinstance(current, Mapping):
            current = current.get(part)
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return None
    return current


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise ExpressionError(f"not a number: {value!r}") from exc


def _holds(obj: Any, requirement: str) -> bool:
    match = _REQUIREMENT.match(requirement)
    if not match:
        raise ExpressionError(f"unsupported condition: {requirement!r}")
    path, op, raw = match.groups()
    actual = lookup(obj, path)
    text = "" if actual is None else render(actual)
    if op in ("in", "notin"):
        values = {_unquote(v) for v in raw.strip().strip("()").split(",")}
        return (text in values) == (op == "in") and (actual is not None or op == "notin")
    if op in (">", "<"):
        if actual is None:
            return False
        return _number(text) > _number(raw) if op == ">" else _number(text) < _number(raw)
    equal = actual is not None and text == _unquote(raw)
    return equal if op in ("==", "=") else not equal


def _split_requirements(condition: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for char in condition:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()]


def condition(obj: Any, text: str) -> bool:
    """Whether every requirement of a success/failure condition holds for ``obj``."""
    return all(_holds(obj, requirement) for requirement in _split_requirements(text))


def duration_seconds(value: Any) -> float:
    """Argo durations: a number of seconds, or ``1h2m3s``, ``500ms`` style strings."""
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(a + b for a, b in parts) != text:
        raise ExpressionError(f"invalid duration {value!r}")
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    return sum(float(amount) * scale[unit] for amount, unit in parts)

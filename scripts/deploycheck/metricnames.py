"""Which metric names an alert or panel uses, and which ones really exist.

Known names are what nsaas exports (taken from the exposition text, so the same code works on a
live ``/metrics``) plus the well-known exporters' names listed in
``deploy/monitoring/external-metrics.txt``, plus the recording rules the PrometheusRule defines.
Extraction is lexical rather than a full PromQL parser: strings, label matchers, ranges, grouping
clauses and Grafana variables are removed, and what remains that looks like an identifier and is
not a function call or keyword is a metric name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_VARIABLES = re.compile(r"\$\{[^}]*\}|\$\w+")
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?!\s*\()(?![\w:])")
_KEYWORDS = frozenset(
    {
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "offset",
        "bool",
        "and",
        "or",
        "unless",
        "inf",
        "nan",
    }
)
_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"), "summary": ("", "_sum", "_count")}


def names_in(expr: str) -> set[str]:
    """Metric names a PromQL expression reads."""
    text = _VARIABLES.sub(" ", _STRINGS.sub('""', expr))
    text = _GROUPING.sub(" ", _RANGES.sub(" ", _MATCHERS.sub(" ", text)))
    text = _GROUPING.sub(" ", text)
    return {m for m in _IDENTIFIER.findall(text) if m.lower() not in _KEYWORDS}


def exported_names(exposition: str) -> set[str]:
    """Series names in Prometheus text exposition, including those of families with no samples yet."""
    names: set[str] = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(maxsplit=3)
            base = family.removesuffix("_total") if kind == "counter" else family
            names.update(base + suffix for suffix in _SUFFIXES.get(kind, ("",)))
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    return names


def sampled_names(exposition: str) -> set[str]:
    """Series names that have at least one sample (a live ``/metrics`` after traffic): a family that
    is only declared (``# TYPE`` and nothing else) is not here, because a rule on it can never fire."""
    return {
        re.split(r"[{ ]", line, maxsplit=1)[0] for line in exposition.splitlines() if line and not line.startswith("#")
    }


#: Labels Prometheus itself puts on every scraped series (target labels of a ServiceMonitor).
TARGET_LABELS = frozenset({"job", "instance", "namespace", "pod", "service", "container", "endpoint"})
_SELECTOR = re.compile(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}")
_MATCHER = re.compile(r"([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)")


def selector_labels(expr: str) -> dict[str, set[str]]:
    """metric name -> label names its selectors match on (``nsaas_x{route="/a", status=~"5.."}``)."""
    text = _VARIABLES.sub("x", _STRINGS.sub('""', expr))
    found: dict[str, set[str]] = {}
    for name, body in _SELECTOR.findall(text):
        found.setdefault(name, set()).update(_MATCHER.findall(body))
    return found


def nsaas_label_names() -> dict[str, set[str]]:
    """Series name -> the label names nsaas's own registry gives it (histogram buckets add ``le``)."""
    from nsaas import metrics

    out: dict[str, set[str]] = {}
    for collector in list(metrics.REGISTRY._collector_to_names):
        labels = set(getattr(collector, "_labelnames", ()))
        for series in metrics.REGISTRY._collector_to_names[collector]:
            out[series] = labels | ({"le"} if series.endswith("_bucket") else set())
    return out


def unknown_labels(exprs: Iterable[str], labels: dict[str, set[str]]) -> dict[str, set[str]]:
    """expression -> ``metric:label`` pairs whose label the metric does not have (nsaas metrics only)."""
    out: dict[str, set[str]] = {}
    for expr in exprs:
        wrong = {
            f"{metric}:{label}"
            for metric, used in selector_labels(expr).items()
            if metric in labels
            for label in used - labels[metric] - TARGET_LABELS
        }
        if wrong:
            out[expr] = wrong
    return out


def nsaas_exposition() -> str:
    """The exposition of nsaas's own registry, as ``/metrics`` would serve it."""
    from prometheus_client import exposition

    from nsaas import metrics

    return exposition.generate_latest(metrics.REGISTRY).decode()


def external_names(path: Path) -> set[str]:
    """Names from external-metrics.txt (``<name> <exporter>`` per line, # comments)."""
    names = set()
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            names.add(line.split()[0])
    return names


def dashboard_queries(dashboard: Any) -> Iterator[str]:
    """Every PromQL string in a Grafana dashboard: panel targets and query variables."""
    if isinstance(dashboard, dict):
        for key, value in dashboard.items():
            if key == "expr" and isinstance(value, str):
                yield value
            elif key == "query" and isinstance(value, str) and "(" in value:
                yield _label_values_metric(value)
            else:
                yield from dashboard_queries(value)
    elif isinstance(dashboard, list):
        for item in dashboard:
            yield from dashboard_queries(item)


def _label_values_metric(query: str) -> str:
    match = re.match(r"\s*label_values\((.*),\s*\w+\s*\)\s*$", query)
    return match.group(1) if match else query


def unknown(exprs: Iterable[str], known: set[str]) -> dict[str, set[str]]:
    """expression -> the names in it that are not known."""
    out: dict[str, set[str]] = {}
    for expr in exprs:
        missing = names_in(expr) - known
        if missing:
            out[expr] = missing
    return out

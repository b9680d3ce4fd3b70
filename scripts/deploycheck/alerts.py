"""Checks of the alert rules and dashboards: enough alerts, each complete and runbook-linked, every
metric real, every alert unit-tested both ways, and promtool's own check and tests passing."""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml
from scripts.deploycheck import findings, metricnames

MIN_ALERTS = 20
SEVERITIES = frozenset({"critical", "warning", "info"})
RUNBOOK_BASE = "https://github.com/nsaas/nsaas/blob/main/"
REQUIRED_DASHBOARDS = frozenset({"Platform Overview", "Namespace Operations", "Security", "Infrastructure"})


def rules_of(objects: list[findings.Manifest]) -> list[dict[str, Any]]:
    return [r for o in objects if o.get("kind") == "PrometheusRule" for g in o["spec"]["groups"] for r in g["rules"]]


def dashboards_of(objects: list[findings.Manifest]) -> dict[str, Any]:
    out = {}
    for obj in objects:
        if obj.get("kind") == "ConfigMap" and findings.dig(obj, "metadata.labels.grafana_dashboard") == "1":
            for key, text in (obj.get("data") or {}).items():
                out[key] = json.loads(text)
    return out


def check_alerts(rules: list[dict[str, Any]], *, repo: Path) -> list[findings.Finding]:
    alerts = [r for r in rules if "alert" in r]
    problems: list[findings.Finding] = []
    if len(alerts) < MIN_ALERTS:
        problems.append(
            findings.Finding("alerts", "PrometheusRule", f"{len(alerts)} alerts, at least {MIN_ALERTS} required")
        )
    for rule in alerts:
        name, annotations = rule["alert"], rule.get("annotations") or {}
        if findings.dig(rule, "labels.severity") not in SEVERITIES:
            problems.append(findings.Finding("alerts", name, f"severity must be one of {sorted(SEVERITIES)}"))
        problems.extend(
            findings.Finding("alerts", name, f"annotation {key} is missing")
            for key in ("summary", "description", "runbook_url")
            if not annotations.get(key)
        )
        if annotations.get("runbook_url"):
            problems.extend(
                findings.Finding("runbook", name, m) for m in runbook_problems(annotations["runbook_url"], repo=repo)
            )
    return problems


def runbook_problems(url: str, *, repo: Path) -> list[str]:
    if not url.startswith(RUNBOOK_BASE) or "#" not in url:
        return [f"runbook_url {url} must be {RUNBOOK_BASE}docs/runbooks/<file>.md#<anchor>"]
    path, anchor = url.removeprefix(RUNBOOK_BASE).split("#", 1)
    document = repo / path
    if not path.startswith("docs/runbooks/") or not document.is_file():
        return [f"runbook {path} does not exist"]
    if anchor not in anchors(document.read_text()):
        return [f"runbook {path} has no heading for #{anchor}"]
    return []


def anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens."""
    out = set()
    for line in markdown.splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            out.add(re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", title)))
    return out


def check_metrics(
    rules: list[dict[str, Any]], dashboards: dict[str, Any], *, known: set[str]
) -> list[findings.Finding]:
    known = known | {r["record"] for r in rules if "record" in r}
    problems = [
        findings.Finding(
            "metrics", rule.get("alert") or rule.get("record", "?"), f"unknown metric(s) {sorted(missing)}"
        )
        for rule in rules
        for missing in metricnames.unknown([rule["expr"]], known).values()
    ]
    for key, dashboard in dashboards.items():
        for expr, missing in metricnames.unknown(metricnames.dashboard_queries(dashboard), known).items():
            problems.append(
                findings.Finding("metrics", f"dashboard {key}", f"unknown metric(s) {sorted(missing)} in {expr}")
            )
    labels = metricnames.nsaas_label_names()
    for rule in rules:
        for wrong in metricnames.unknown_labels([rule["expr"]], labels).values():
            name = rule.get("alert") or rule.get("record", "?")
            problems.append(findings.Finding("metrics", name, f"label(s) the metric does not have: {sorted(wrong)}"))
    for key, dashboard in dashboards.items():
        for expr, wrong in metricnames.unknown_labels(metricnames.dashboard_queries(dashboard), labels).items():
            problems.append(
                findings.Finding(
                    "metrics", f"dashboard {key}", f"label(s) the metric does not have: {sorted(wrong)} in {expr}"
                )
            )
    titles = {str(d.get("title", "")) for d in dashboards.values()}
    problems.extend(
        findings.Finding("dashboards", "monitoring", f"no dashboard titled {wanted!r}")
        for wanted in sorted(REQUIRED_DASHBOARDS)
        if not any(t.endswith(wanted) for t in titles)
    )
    return problems


def check_tests_cover(rules: list[dict[str, Any]], test_file: Path) -> list[findings.Finding]:
    """Each alert needs a case where it fires and one where it stays silent."""
    fires: set[str] = set()
    silent: set[str] = set()
    for group in yaml.safe_load(test_file.read_text()).get("tests", []):
        for case in group.get("alert_rule_test", []):
            (fires if case.get("exp_alerts") else silent).add(case["alertname"])
    problems: list[findings.Finding] = []
    for rule in rules:
        name = rule.get("alert")
        if name and name not in fires:
            problems.append(findings.Finding("alert-tests", name, "no promtool test shows it firing"))
        if name and name not in silent:
            problems.append(findings.Finding("alert-tests", name, "no promtool test shows it silent"))
    return problems


def run_promtool(rule_objects: list[findings.Manifest], test_file: Path) -> list[findings.Finding]:
    """``promtool check rules`` on each rule set and ``promtool test rules`` with the unit tests."""
    if shutil.which("promtool") is None:
        return [
            findings.Finding(
                "promtool", "promtool", "not installed (Debian package `prometheus`); see docs/deployment.md"
            )
        ]
    problems: list[findings.Finding] = []
    for obj in rule_objects:
        stripped = {
            "groups": [{**g, "rules": [_without_annotations(r) for r in g["rules"]]} for g in obj["spec"]["groups"]]
        }
        outputs = _promtool_outputs(yaml.safe_dump(obj["spec"]), yaml.safe_dump(stripped), test_file.read_text())
        problems.extend(findings.Finding("promtool", findings.describe(obj), out) for out in outputs)
    return problems


@functools.lru_cache(maxsize=16)
def _promtool_outputs(full_rules: str, test_rules: str, tests: str) -> tuple[str, ...]:
    """Failure outputs of both promtool runs; cached because every overlay ships the same rules."""
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "full.yaml").write_text(full_rules)
        (Path(tmp) / "rules.yaml").write_text(test_rules)
        (Path(tmp) / "alerts.test.yaml").write_text(tests)
        runs = (("check", "full.yaml"), ("test", "alerts.test.yaml"))
        return tuple(out for verb, name in runs if (out := _promtool(verb, name, cwd=Path(tmp))))


def _without_annotations(rule: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in rule.items() if k != "annotations"}


def _promtool(verb: str, name: str, *, cwd: Path) -> str:
    """Empty when promtool is satisfied, else what it said."""
    promtool = shutil.which("promtool") or "promtool"
    result = subprocess.run(  # noqa: S603 - fixed argv
        [promtool, verb, "rules", name], cwd=cwd, capture_output=True, text=True, check=False
    )
    return "" if result.returncode == 0 else f"promtool {verb} rules failed:\n{result.stdout}{result.stderr}"

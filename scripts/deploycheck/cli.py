"""``python -m scripts.deploycheck [--deploy DIR] [--metrics-url URL]``: every offline check.

Exit status 0 when nothing is wrong, 1 with one line per finding otherwise, 2 when a target does
not even build. Placeholder Azure identifiers are reported as warnings: they are expected in a
checkout and must be replaced per environment before a real rollout.
"""

from __future__ import annotations

import argparse
import sys
import urllib.request
from pathlib import Path

from scripts.deploycheck import (
    alerts,
    customresources,
    findings,
    manifests,
    metricnames,
    podsecurity,
    rbac,
    references,
    schema,
    secretstores,
)

PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"


def validate(
    deploy_dir: Path, *, exposition: str | None = None, targets: tuple[str, ...] = manifests.BUILD_TARGETS
) -> list[findings.Finding]:
    """All findings for the tree at ``deploy_dir`` (its parent is the repository root).

    Offline (no ``exposition``) a metric must be declared by nsaas's registry; against live
    ``/metrics`` text it must have a sample there, since a declared-but-never-set metric makes its
    alert and panels dead.
    """
    problems: list[findings.Finding] = []
    if exposition is None:
        known = metricnames.exported_names(metricnames.nsaas_exposition())
    else:
        known = metricnames.sampled_names(exposition)
    known |= metricnames.external_names(deploy_dir / "monitoring" / "external-metrics.txt")
    for target in targets:
        objects = manifests.build(deploy_dir, target).objects
        problems.extend(_tagged(target, check_objects(objects, known=known, deploy_dir=deploy_dir)))
    flux = [o for path in sorted((deploy_dir / "flux").glob("*.yaml")) for o in manifests.load_file(path)]
    problems.extend(_tagged("flux", customresources.check(flux)))
    return _unique(problems)


def check_objects(objects: list[findings.Manifest], *, known: set[str], deploy_dir: Path) -> list[findings.Finding]:
    invalid, custom = schema.check(objects)
    problems = [
        *invalid,
        *customresources.check(custom),
        *podsecurity.check(objects),
        *references.check(objects),
        *rbac.check(objects),
        *secretstores.check(objects),
    ]
    rule_objects = [o for o in objects if o.get("kind") == "PrometheusRule"]
    if rule_objects:
        rules = alerts.rules_of(rule_objects)
        test_file = deploy_dir / "monitoring" / "tests" / "alerts.test.yaml"
        problems += alerts.check_alerts(rules, repo=deploy_dir.parent)
        problems += alerts.check_metrics(rules, alerts.dashboards_of(objects), known=known)
        problems += alerts.check_tests_cover(rules, test_file)
        problems += alerts.run_promtool(rule_objects, test_file)
    return problems


def placeholders(deploy_dir: Path) -> list[str]:
    """Overlays that still carry the all-zero Azure identifiers."""
    return [
        str(p.relative_to(deploy_dir))
        for p in sorted((deploy_dir / "overlays").glob("*/azure-identity.yaml"))
        if PLACEHOLDER_ID in p.read_text()
    ]


def _tagged(target: str, problems: list[findings.Finding]) -> list[findings.Finding]:
    return [findings.Finding(p.check, f"{target}: {p.subject}", p.message) for p in problems]


def _unique(problems: list[findings.Finding]) -> list[findings.Finding]:
    """The same defect seen in three overlays is reported once per overlay, in a stable order."""
    return sorted(set(problems), key=lambda p: (p.subject, p.check, p.message))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deploycheck", description=__doc__)
    parser.add_argument("--deploy", type=Path, default=Path(__file__).resolve().parents[2] / "deploy")
    parser.add_argument(
        "--metrics-url",
        action="append",
        help="require a sample of every metric in live /metrics (repeat for API, worker and UI) "
        "instead of a declaration in the local registry",
    )
    args = parser.parse_args(argv)
    exposition = None
    if args.metrics_url:
        texts = []
        for url in args.metrics_url:
            with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - operator-given URL
                texts.append(response.read().decode())
        exposition = "\n".join(texts)
    try:
        problems = validate(args.deploy, exposition=exposition)
    except manifests.BuildError as exc:
        print(f"[build] {exc}", file=sys.stderr)
        return 2
    for overlay in placeholders(args.deploy):
        print(f"warning: {overlay} still holds placeholder Azure identifiers")
    for problem in problems:
        print(problem)
    print(f"deploycheck: {len(problems)} problem(s) in {args.deploy}")
    return 1 if problems else 0

"""The offline validator passes the real stack and names each planted defect."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from scripts.deploycheck import cli, findings

from tests.deploy import conftest

#: Each case builds the whole stack (kustomize, schemas, promtool): minutes in all, so make ci runs them.
pytestmark = pytest.mark.slow
PRODUCTION = ("overlays/production",)


def _messages(problems: list[findings.Finding]) -> str:
    return "\n".join(str(p) for p in problems)


def _edit_yaml(path: Path, index: int, edit: object) -> None:
    docs = list(yaml.safe_load_all(path.read_text()))
    edit(docs[index])  # type: ignore[operator]
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))


def test_the_committed_stack_passes_every_offline_check(tools: None) -> None:
    problems = cli.validate(conftest.DEPLOY)
    assert problems == [], _messages(problems)


def test_a_pod_without_security_context_is_named(deploy_copy: Path) -> None:
    def strip(doc: dict) -> None:
        doc["spec"]["template"]["spec"].pop("securityContext")
        doc["spec"]["template"]["spec"]["containers"][0].pop("securityContext")

    _edit_yaml(deploy_copy / "platform-ui" / "deployment.yaml", 0, strip)
    text = _messages(cli.validate(deploy_copy, targets=PRODUCTION))
    assert "Deployment platform-system/platform-ui: container ui: runAsNonRoot must be true" in text
    assert "container ui: readOnlyRootFilesystem must be true" in text


def test_an_alert_on_a_metric_nobody_exports_is_named(deploy_copy: Path) -> None:
    rules = deploy_copy / "monitoring" / "prometheusrule.yaml"
    rules.write_text(
        rules.read_text().replace(
            "expr: max(nsaas_reconcile_backlog) > 50", "expr: max(nsaas_reconcile_queue_depth) > 50"
        )
    )
    text = _messages(cli.validate(deploy_copy, targets=PRODUCTION))
    assert "NsaasReconcileBacklogHigh: unknown metric(s) ['nsaas_reconcile_queue_depth']" in text


def test_a_dashboard_panel_on_a_bogus_metric_is_named(deploy_copy: Path) -> None:
    board = deploy_copy / "monitoring" / "dashboards" / "security.json"
    board.write_text(board.read_text().replace("nsaas_auth_failures_total", "nsaas_login_failures_total"))
    text = _messages(cli.validate(deploy_copy, targets=PRODUCTION))
    assert "dashboard security.json: unknown metric(s) ['nsaas_login_failures_total']" in text


def test_an_env_var_reading_a_key_the_external_secret_lacks_is_named(deploy_copy: Path) -> None:
    def drop_key(doc: dict) -> None:
        doc["spec"]["target"]["template"]["data"].pop("NSAAS_AUTH__JWT_SECRET")

    _edit_yaml(deploy_copy / "external-secrets" / "platform-api-secrets.yaml", 0, drop_key)
    text = _messages(cli.validate(deploy_copy, targets=PRODUCTION))
    assert "env NSAAS_AUTH__JWT_SECRET: Secret platform-api-secrets has no key NSAAS_AUTH__JWT_SECRET" in text


def test_an_alert_whose_runbook_anchor_is_missing_is_named(deploy_copy: Path) -> None:
    runbook = deploy_copy.parent / "docs" / "runbooks" / "reconciler.md"
    runbook.write_text(runbook.read_text().replace("## NsaasReconcileBacklogHigh", "## Backlog"))
    text = _messages(cli.validate(deploy_copy, targets=PRODUCTION))
    assert (
        "NsaasReconcileBacklogHigh: runbook docs/runbooks/reconciler.md has no heading for #nsaasreconcilebackloghigh"
        in text
    )


def test_an_alert_that_cannot_fire_fails_its_promtool_unit_test(deploy_copy: Path) -> None:
    rules = deploy_copy / "monitoring" / "prometheusrule.yaml"
    rules.write_text(
        rules.read_text().replace("expr: max(nsaas_kube_circuit_open) == 1", "expr: max(nsaas_kube_circuit_open) == 2")
    )
    text = _messages(cli.validate(deploy_copy, targets=PRODUCTION))
    assert "promtool test rules failed" in text
    assert "NsaasKubeApiCircuitOpen" in text


def test_a_wildcard_rbac_rule_and_an_unpinned_chart_are_named(deploy_copy: Path) -> None:
    rbac = deploy_copy / "platform-api" / "clusterrole.yaml"
    rbac.write_text(rbac.read_text().replace("resources: [sidecars]", 'resources: ["*"]', 1))
    release = deploy_copy / "argo" / "controller" / "helmrelease.yaml"
    release.write_text(release.read_text().replace("version: 0.42.1", 'version: ">=0.42"'))
    problems = cli.validate(deploy_copy, targets=("operators", *PRODUCTION))
    text = _messages(problems)
    assert "ClusterRole nsaas-platform-api: wildcard in resources" in text
    assert "HelmRelease argo/argo-workflows: chart version '>=0.42' is not pinned" in text


def test_a_misspelt_field_of_a_built_in_kind_fails_schema_validation(deploy_copy: Path) -> None:
    hpa = deploy_copy / "platform-api" / "hpa.yaml"
    hpa.write_text(hpa.read_text().replace("maxReplicas: 10", "maxReplica: 10"))
    text = _messages(cli.validate(deploy_copy, targets=PRODUCTION))
    assert "[schema]" in text
    assert "HorizontalPodAutoscaler platform-system/platform-api" in text

"""The WorkflowTemplates keep the contract the argo engine relies on: names and parameters from the
settings, the workflow ServiceAccount, and idempotent steps."""

from __future__ import annotations

from typing import Any

import yaml

from nsaas import config
from tests.deploy import conftest

TEMPLATES = conftest.DEPLOY / "argo" / "workflowtemplates"


def _load(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((TEMPLATES / f"{name}.yaml").read_text()))


def _templates(wt: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in wt["spec"]["templates"]}


def test_templates_carry_the_names_and_service_account_the_engine_settings_expect() -> None:
    engines = config.EngineSettings()
    for file, name in (
        ("provision-namespace", engines.provision_template),
        ("decommission-namespace", engines.decommission_template),
    ):
        wt = _load(file)
        assert wt["metadata"] == {**wt["metadata"], "name": name, "namespace": engines.argo_namespace}
        assert wt["spec"]["serviceAccountName"] == engines.argo_service_account


def test_provisioning_waits_for_an_active_namespace_before_applying_each_object() -> None:
    wt = _load("provision-namespace")
    params = [p["name"] for p in wt["spec"]["arguments"]["parameters"]]
    assert params == ["request-id", "namespace", "digest", "namespace-manifest", "manifests"]
    tasks = {t["name"]: t for t in _templates(wt)["provision"]["dag"]["tasks"]}
    assert tasks["wait-namespace-active"]["dependencies"] == ["create-namespace"]
    assert tasks["apply-objects"]["withParam"] == "{{workflow.parameters.manifests}}"
    assert _templates(wt)["wait-namespace-active"]["resource"]["successCondition"] == "status.phase == Active"


def test_every_provisioning_write_is_a_retried_server_side_apply() -> None:
    templates = _templates(_load("provision-namespace"))
    for name in ("apply-namespace", "apply-object"):
        resource = templates[name]["resource"]
        assert resource["action"] == "apply"
        assert "--server-side" in resource["flags"]
        assert int(templates[name]["retryStrategy"]["limit"]) == 5


def test_the_exit_handler_records_run_and_outcome_on_the_namespace() -> None:
    wt = _load("provision-namespace")
    report = _templates(wt)[wt["spec"]["onExit"]]["resource"]
    annotations = yaml.safe_load(report["manifest"])["metadata"]["annotations"]
    assert annotations == {
        "platform.io/last-workflow": "{{workflow.name}}",
        "platform.io/last-workflow-status": "{{workflow.status}}",
    }


def test_decommission_checks_ownership_before_deleting_anything() -> None:
    templates = _templates(_load("decommission-namespace"))
    tasks = {t["name"]: t for t in templates["decommission"]["dag"]["tasks"]}
    assert tasks["delete-backup-schedule"]["dependencies"] == ["verify"]
    assert tasks["delete-namespace"]["dependencies"] == ["delete-backup-schedule"]
    verify = templates["verify-ownership"]["resource"]
    assert verify["mergeStrategy"] == "json"
    ops = yaml.safe_load(verify["manifest"])
    assert {
        "op": "test",
        "path": "/metadata/labels/platform.io~1request-id",
        "value": "{{workflow.parameters.request-id}}",
    } in ops

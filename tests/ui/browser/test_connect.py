"""The connect panel end to end: the real ``GET .../access`` of ``nsaas dev`` behind the portal.

The panel was built against a fake of the access endpoint; this drives it through the browser
against the real API and the embedded cluster simulator, and uses what it hands out with kubectl.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from playwright.sync_api import expect

from tests.ui.browser.support import SLOW, Portal, request_namespace, unique

pytestmark = pytest.mark.browser


def test_a_developer_connects_to_a_ready_namespace_with_the_kubeconfig_from_the_panel(
    portal: Portal, tmp_path: Path
) -> None:
    page = portal.signed_in("team-a-developer")
    name = unique("connect")
    request_namespace(page, name)
    expect(page.locator("#status-badge")).to_have_text("ready", timeout=SLOW)
    page.reload()  # the panel is rendered with the page once the namespace exists in the cluster

    panel = page.locator("#connect")
    expect(panel.get_by_role("heading", name="Connect with kubectl")).to_be_visible()
    expect(panel).to_contain_text(f"context {name}")
    expect(panel.locator(".snippets")).to_contain_text(f"kubectl config use-context {name}")
    expect(panel.locator(".snippets")).to_contain_text(f"kubectl --context {name} describe resourcequota")
    roles = panel.locator("dl.features dt")
    expect(roles).to_have_text(["admin", "edit", "view"])
    # nsaas dev configures no team groups, so the namespace's own deployer is the one holder.
    expect(panel.locator("dl.features dd").nth(1)).to_have_text(f"system:serviceaccount:{name}:deployer")

    with page.expect_download() as started:
        panel.get_by_role("link", name="Download kubeconfig").click()
    download = started.value
    assert download.suggested_filename == f"{name}.kubeconfig.yaml"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    config = yaml.safe_load(saved.read_text())
    assert config["current-context"] == name
    contexts = {entry["name"]: entry["context"] for entry in config["contexts"]}
    assert contexts[name]["namespace"] == name
    assert panel.locator("#kubeconfig-yaml").text_content() == saved.read_text()

    kubectl = shutil.which("kubectl")
    if kubectl is None:
        return  # the kubeconfig itself is checked above; using it needs kubectl on PATH
    done = subprocess.run(
        [kubectl, "--kubeconfig", str(saved), "--context", name, "get", "resourcequota", "-o", "name"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip(), "the namespace has no ResourceQuota as seen through the handed-out kubeconfig"


def test_another_teams_member_gets_no_connect_panel_and_no_kubeconfig(portal: Portal) -> None:
    owner = portal.signed_in("team-a-developer")
    name = unique("noconn")
    request_namespace(owner, name)
    expect(owner.locator("#status-badge")).to_have_text("ready", timeout=SLOW)
    # No persona is a viewer of team-b only; team-b's developer is the other team's least privileged member.
    stranger = portal.signed_in("team-b-developer")
    for path in (f"/namespaces/{name}", f"/namespaces/{name}/kubeconfig"):
        answer = stranger.goto(path)
        assert answer is not None
        assert answer.status == 404, path
        expect(stranger.get_by_role("heading", level=1)).to_have_text("Not found")
        expect(stranger.locator("#connect")).to_have_count(0)
        expect(stranger.locator("body")).not_to_contain_text("kubectl")

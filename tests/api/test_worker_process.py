"""``nsaas worker`` runs everything a worker runs, as the API's in-process worker does.

The production stack runs the API with ``NSAAS_ENGINES__RUN_IN_API=false`` and separate workers, so a
loop missing from ``nsaas worker`` never runs at all there (notifications and the GitOps sync did not).
"""

from __future__ import annotations

import pytest

from nsaas import runtime
from nsaas.cli import serve
from tests.support.platform import Platform


async def test_the_worker_process_runs_the_notifier_and_the_gitops_sync_too(
    platform: Platform, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = platform.rt
    ran: list[str] = []
    for name in ("reconciler", "rollout_runner", "notifier", "gitops"):

        async def run(name: str = name) -> None:
            ran.append(name)

        monkeypatch.setattr(getattr(rt, name), "run", run)

    async def build(settings: object, *, component: str) -> runtime.Runtime:
        assert component == "worker"
        return rt

    async def keep_open() -> None:
        return None  # the platform fixture closes the runtime itself

    monkeypatch.setattr(runtime, "build", build)
    monkeypatch.setattr(rt, "aclose", keep_open)
    monkeypatch.setattr(rt.bus, "start", keep_open)  # the fixture's bus is listening already
    rt.settings.notifications.enabled = True
    rt.settings.gitops.enabled = True
    await serve._work(rt.settings)
    assert sorted(ran) == ["gitops", "notifier", "reconciler", "rollout_runner"]

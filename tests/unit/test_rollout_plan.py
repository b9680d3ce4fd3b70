"""A rollout's plan: cumulative percentages per environment, name order, pinned namespaces skipped."""

from __future__ import annotations

from collections import Counter

from nsaas.domain import rollouts


def _candidates() -> list[rollouts.Candidate]:
    found = [rollouts.Candidate(f"d{i}", f"dev-{i:02d}", "development", 1, False) for i in range(10)]
    found += [rollouts.Candidate(f"p{i}", f"prod-{i:02d}", "production", 1, i == 0) for i in range(9)]
    return found


def test_waves_take_cumulative_shares_in_name_order_and_skip_pinned_namespaces() -> None:
    waves = [
        rollouts.Wave(("development",), 100),
        rollouts.Wave(("production",), 25),
        rollouts.Wave(("production",), 100),
        rollouts.Wave(("production",), 50),  # already past 50%: adds nothing
    ]
    plan = rollouts.plan(_candidates(), waves)
    assert Counter(a.wave for a in plan) == Counter({0: 10, 1: 2, 2: 6, None: 1})
    assert [a.name for a in plan if a.wave == 1] == ["prod-01", "prod-02"]  # ceil(25% of 8), by name
    skipped = [a for a in plan if a.wave is None]
    assert [(a.name, a.state, a.note) for a in skipped] == [("prod-00", "skipped", "pinned")]
    assert len({a.request_id for a in plan}) == len(plan)  # nobody in two waves


def test_an_environment_no_wave_names_is_left_alone() -> None:
    plan = rollouts.plan(_candidates(), [rollouts.Wave(("development",), 50)])
    assert [a.name for a in plan if a.wave == 0] == [f"dev-{i:02d}" for i in range(5)]
    assert all(a.name.startswith("dev-") or a.wave is None for a in plan)


def test_the_failure_rate_counts_only_settled_namespaces() -> None:
    def target(state: rollouts.TargetState) -> rollouts.Target:
        return rollouts.Target("r", state, state, 0, 1, state)

    assert rollouts.failure_rate([target("pending"), target("skipped")]) == 0.0
    assert rollouts.failure_rate([target("applied"), target("failed"), target("pending")]) == 0.5

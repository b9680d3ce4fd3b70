"""Field validation of namespace request bodies (the one request model): every failing field at once."""

from __future__ import annotations

import dataclasses

import pytest

from nsaas.config import PolicySettings
from nsaas.domain import errors, lifecycle, policy
from nsaas.services import bodies

VALID = {
    "namespaceName": "payments-dev",
    "team": "payments",
    "environment": "development",
    "resourceTier": "small",
    "networkPolicy": "isolated",
    "features": ["monitoring-enhanced", "istio-injection"],
    "description": "Payments service",
    "costCenter": "CC-1234",
}


def test_a_valid_request_parses_with_features_in_canonical_order() -> None:
    spec = bodies.parse_spec(VALID)
    assert spec.name == "payments-dev"
    assert spec.features == ("istio-injection", "monitoring-enhanced")


def test_every_failing_field_is_reported_together() -> None:
    bad = {
        "namespaceName": "Bad_Name",
        "team": "x",
        "environment": "prod",
        "resourceTier": "huge",
        "networkPolicy": "wide-open",
        "features": ["teleport"],
        "description": "d" * 501,
        "costCenter": "c" * 51,
        "rbacConfig": {"principalId": "nope", "principalType": "Robot", "roleDefinition": "cluster-admin"},
        "ttl": "forever",
    }
    with pytest.raises(errors.ValidationFailed) as caught:
        bodies.parse_spec(bad)
    assert set(caught.value.details) == {
        "namespaceName", "team", "environment", "resourceTier", "networkPolicy", "features",
        "description", "costCenter", "rbacConfig.principalId", "rbacConfig.principalType",
        "rbacConfig.roleDefinition", "ttl",
    }  # fmt: skip
    assert "501" in caught.value.details["description"]
    assert "cluster-admin is never granted" in caught.value.details["rbacConfig.roleDefinition"]


def test_missing_required_fields_are_named() -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        bodies.parse_spec({})
    assert set(caught.value.details) == {"namespaceName", "team", "environment", "resourceTier", "networkPolicy"}


@pytest.mark.parametrize("name", ["a" * 64, "-lead", "trail-", "UPPER", "under_score", "dot.ted"])
def test_invalid_namespace_names_are_rejected(name: str) -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        bodies.parse_spec({**VALID, "namespaceName": name})
    assert set(caught.value.details) == {"namespaceName"}


@pytest.mark.parametrize(("ttl", "hours"), [("72h", 72), ("7d", 168), (5, 5), (None, None)])
def test_ttl_accepts_hours_days_and_integers(ttl: object, hours: int | None) -> None:
    assert bodies.parse_spec({**VALID, "ttl": ttl}).ttl_hours == hours


def test_unknown_fields_are_refused_rather_than_ignored() -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        bodies.parse_spec({**VALID, "clusterAdmin": True})
    assert "clusterAdmin" in caught.value.details


def test_patch_changes_only_mutable_fields() -> None:
    spec = bodies.parse_spec(VALID)
    updated = bodies.apply_patch(spec, {"resourceTier": "large", "ttl": "2d"})
    assert (updated.tier, updated.ttl_hours, updated.name) == ("large", 48, "payments-dev")
    with pytest.raises(errors.ValidationFailed) as caught:
        bodies.apply_patch(spec, {"team": "other", "resourceTier": "giant"})
    assert set(caught.value.details) == {"team", "resourceTier"}


def test_spec_round_trips_through_the_api_shape() -> None:
    spec = bodies.parse_spec(
        {**VALID, "ttl": "3d", "rbacConfig": {
            "principalId": "0F8FAD5B-D9CB-469F-A165-70867728950E", "principalType": "Group",
            "roleDefinition": "aks-rbac-reader"}}
    )  # fmt: skip
    assert bodies.parse_spec(bodies.body_of(spec)) == spec


RULES = PolicySettings()


def _judge(overrides: dict[str, object], context: policy.Context | None = None) -> dict[str, str]:
    spec = bodies.parse_spec({**VALID, **overrides})
    return policy.evaluate(spec, rules=RULES, context=context or policy.Context())


def test_production_rejects_micro_tier_and_open_network_policy() -> None:
    found = _judge({"environment": "production", "resourceTier": "micro", "networkPolicy": "open"})
    assert set(found) == {"resourceTier", "networkPolicy"}


@pytest.mark.parametrize("name", ["kube-system", "kube-anything", "default", "argo", "istio-system"])
def test_reserved_names_are_refused(name: str) -> None:
    assert "reserved" in _judge({"namespaceName": name})["namespaceName"]


def test_an_existing_unmanaged_namespace_cannot_be_adopted() -> None:
    found = _judge({}, policy.Context(exists_unmanaged=True))
    assert "not managed" in found["namespaceName"]


def test_team_cap_counts_live_namespaces() -> None:
    assert "cap is 10" in _judge({}, policy.Context(usage=policy.TeamUsage(namespaces=10)))["team"]
    assert "team" not in _judge({}, policy.Context(usage=policy.TeamUsage(namespaces=9)))


def test_team_prefix_and_budget_are_enforced_when_configured() -> None:
    rules = PolicySettings(require_team_prefix=True, team_cpu_budget=4)
    spec = bodies.parse_spec({**VALID, "namespaceName": "web", "resourceTier": "medium"})
    found = policy.evaluate(spec, rules=rules, context=policy.Context(usage=policy.TeamUsage.of(["small"])))
    assert found["namespaceName"] == "must start with the team prefix payments-"
    assert "CPU 6 of 4 cores" in found["resourceTier"]


def test_production_needs_approval_by_default() -> None:
    assert policy.needs_approval(bodies.parse_spec({**VALID, "environment": "production"}), rules=RULES)
    assert not policy.needs_approval(bodies.parse_spec(VALID), rules=RULES)


def test_lifecycle_refuses_skipping_steps() -> None:
    lifecycle.check_transition(lifecycle.Status.PROVISIONING, lifecycle.Status.READY)
    with pytest.raises(errors.InvalidTransition):
        lifecycle.check_transition(lifecycle.Status.PENDING_APPROVAL, lifecycle.Status.READY)
    assert {
        lifecycle.Status.DELETED,
        lifecycle.Status.EXPIRED,
        lifecycle.Status.REJECTED,
        lifecycle.Status.CANCELLED,
    } == lifecycle.TERMINAL


def test_nul_free_text_is_part_of_the_model_so_gitops_and_the_cli_refuse_it_too() -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        bodies.parse_spec({**VALID, "description": "a\x00b", "costCenter": "\x00"})
    assert caught.value.details == {
        "description": "must not contain NUL characters",
        "costCenter": "must not contain NUL characters",
    }


def test_a_blank_field_counts_as_not_sent() -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        bodies.parse_spec({**VALID, "namespaceName": "", "ttl": ""})
    assert caught.value.details == {"namespaceName": "is required"}


def test_a_change_names_every_field_it_may_not_carry_and_every_bad_value() -> None:
    spec = bodies.parse_spec(VALID)
    with pytest.raises(errors.ValidationFailed) as caught:
        bodies.apply_patch(spec, {"environment": "production", "features": ["teleport"], "ttl": "soon"})
    assert set(caught.value.details) == {"environment", "features", "ttl"}
    assert "cannot be changed" in caught.value.details["environment"]
    assert bodies.apply_patch(spec, {"ttl": None, "description": "new"}) == dataclasses.replace(
        spec, description="new", ttl_hours=None
    )


def test_the_published_schema_is_the_validating_model() -> None:
    schema = bodies.NamespaceRequestIn.model_json_schema()
    assert schema["properties"]["description"]["pattern"] == bodies.NUL_FREE
    assert schema["properties"]["namespaceName"]["maxLength"] == 63
    assert schema["additionalProperties"] is False


def test_an_unpaired_surrogate_is_refused_as_bad_text_not_left_for_the_database() -> None:
    with pytest.raises(errors.ValidationFailed) as caught:
        bodies.parse_spec({**VALID, "description": "a\ud800"})
    assert caught.value.details == {"description": "must be valid Unicode text (no unpaired surrogates)"}

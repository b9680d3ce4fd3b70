"""Drift detection compares the desired manifest as a subset of the live object."""

from __future__ import annotations

from typing import Any

from nsaas.adapters.kube import compare

QUOTA = {"metadata": {"name": "q", "labels": {"team": "a"}}, "spec": {"hard": {"pods": "10", "requests.cpu": "2"}}}


def test_fields_added_by_the_server_are_not_drift() -> None:
    live = {
        "metadata": {"name": "q", "labels": {"team": "a"}, "uid": "u1", "resourceVersion": "7", "managedFields": []},
        "spec": {"hard": {"pods": "10", "requests.cpu": "2"}},
        "status": {"hard": {"pods": "10"}, "used": {"pods": "0"}},
    }
    assert compare.differences(QUOTA, live) == []


def test_a_raised_quota_is_reported_at_its_path() -> None:
    live = {"metadata": {"name": "q", "labels": {"team": "a"}}, "spec": {"hard": {"pods": "50", "requests.cpu": "2"}}}
    assert compare.differences(QUOTA, live) == ["spec.hard.pods"]


def test_a_removed_label_is_drift() -> None:
    live = {"metadata": {"name": "q", "labels": {}}, "spec": {"hard": {"pods": "10", "requests.cpu": "2"}}}
    assert compare.differences(QUOTA, live) == ["metadata.labels.team"]


def test_canonicalised_quantities_are_not_drift() -> None:
    desired: dict[str, Any] = {"spec": {"hard": {"cpu": "0.5", "memory": "1024Mi", "pods": 5}}}
    live = {"spec": {"hard": {"cpu": "500m", "memory": "1Gi", "pods": "5"}}}
    assert compare.differences(desired, live) == []


def test_an_extra_rule_added_out_of_band_is_drift() -> None:
    desired: dict[str, Any] = {"spec": {"ingress": [{"from": [{"podSelector": {}}]}]}}
    live = {"spec": {"ingress": [{"from": [{"podSelector": {}}]}, {"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}}
    assert compare.differences(desired, live) == ["spec.ingress"]


def test_defaults_inside_list_items_are_not_drift() -> None:
    desired = {"spec": {"egress": [{"ports": [{"port": 53}]}]}}
    live = {"spec": {"egress": [{"ports": [{"port": 53, "protocol": "TCP"}]}]}}
    assert compare.differences(desired, live) == []


def test_empty_desired_collections_match_fields_the_server_omits() -> None:
    desired: dict[str, Any] = {"spec": {"podSelector": {}, "ingress": [], "note": None}}
    assert compare.differences(desired, {"spec": {}}) == []


def test_a_missing_field_the_platform_set_is_drift() -> None:
    desired = {"spec": {"policyTypes": ["Ingress"]}}
    assert compare.differences(desired, {"spec": {}}) == ["spec.policyTypes"]


def test_names_that_look_alike_are_not_equal_and_booleans_are_not_numbers() -> None:
    assert not compare.scalars_equal("team-a", "team-b")
    assert not compare.scalars_equal(True, 1)
    assert not compare.scalars_equal("1", "2")
    assert compare.scalars_equal(False, False)


def test_a_changed_type_is_drift() -> None:
    assert compare.differences({"spec": {"hard": {"pods": "10"}}}, {"spec": "oops"}) == ["spec"]

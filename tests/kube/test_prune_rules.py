"""Prune selects by exactly the bundle's labels, in the bundle's namespaces, for bundle kinds only."""

from __future__ import annotations

from nsaas.adapters.kube import applier
from nsaas.bundle import model

SELECTOR = {"app.kubernetes.io/managed-by": "nsaas", "platform.io/request-id": "r1"}


def _bundle(extra: tuple[str, ...] = ()) -> model.Bundle:
    return model.Bundle(
        namespace="team-a-dev", request_id="r1", manifests=(), digest="d", selector=SELECTOR, extra_namespaces=extra
    )


def test_an_object_with_all_selector_labels_is_ours() -> None:
    assert applier.carries_selector({**SELECTOR, "other": "x"}, SELECTOR)


def test_an_object_of_another_request_is_not_ours() -> None:
    assert not applier.carries_selector({**SELECTOR, "platform.io/request-id": "r2"}, SELECTOR)


def test_an_unlabelled_object_is_not_ours() -> None:
    assert not applier.carries_selector(None, SELECTOR)
    assert not applier.carries_selector({"app.kubernetes.io/managed-by": "nsaas"}, SELECTOR)


def test_an_empty_selector_matches_nothing() -> None:
    assert not applier.carries_selector({"anything": "x"}, {})


def test_prune_never_looks_at_namespaces_themselves() -> None:
    kinds = {kind.kind for kind, _ in applier.prune_scopes(_bundle(extra=("velero",)))}
    assert "Namespace" not in kinds
    assert {"ResourceQuota", "NetworkPolicy", "RoleBinding", "Schedule"} <= kinds


def test_prune_looks_outside_the_namespace_only_for_kinds_with_a_home_namespace() -> None:
    scopes = applier.prune_scopes(_bundle(extra=("velero",)))
    outside = {(kind.kind, namespace) for kind, namespace in scopes if namespace != "team-a-dev"}
    assert outside == {("Schedule", "velero")}


def test_a_kind_with_a_home_namespace_is_looked_for_only_at_home() -> None:
    """Listing Schedules in the tenant's namespace found nothing on the simulator, and on a real
    API server is refused: the platform's role reads Schedules only in Velero's namespace."""
    scopes = applier.prune_scopes(_bundle(extra=("velero",)))
    assert [namespace for kind, namespace in scopes if kind.kind == "Schedule"] == ["velero"]

"""Properties of every valid request, not just the hand-picked ones."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsaas.bundle import model, render
from nsaas.domain import requests, tiers
from tests.golden import cases

NAMES = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,40}[a-z0-9])?\Z")
TEAMS = st.from_regex(r"\A[a-z0-9]{2,8}(-[a-z0-9]{1,8}){0,2}\Z")
RBAC = st.none() | st.fixed_dictionaries(
    {
        "principalId": st.uuids().map(str),
        "principalType": st.sampled_from(requests.PRINCIPAL_TYPES),
        "roleDefinition": st.sampled_from(requests.ROLE_DEFINITIONS),
    }
)
#: Free text a request may hold: anything but NUL and unpaired surrogates, which the request model refuses.
CHARACTERS = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
BODIES = st.fixed_dictionaries(
    {
        "namespaceName": NAMES,
        "team": TEAMS,
        "environment": st.sampled_from(requests.ENVIRONMENTS),
        "resourceTier": st.sampled_from(tiers.TIER_NAMES),
        "networkPolicy": st.sampled_from(requests.NETWORK_POLICIES),
        "features": st.lists(st.sampled_from(requests.FEATURES), unique=True),
        "description": st.text(alphabet=CHARACTERS, max_size=40),
        "costCenter": st.text(alphabet=CHARACTERS, max_size=10),
        "rbacConfig": RBAC,
        "ttl": st.none() | st.integers(1, 24 * 30).map(lambda h: f"{h}h"),
    }
)


#: Built once: reading the environment for every example was most of each example's time.
SETTINGS = cases.settings(team_groups=cases.TEAM_GROUPS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=BODIES)
def test_any_valid_request_renders_labelled_namespaced_objects_with_a_stable_digest(raw: dict[str, Any]) -> None:
    bundle = cases.render_body({k: v for k, v in raw.items() if v is not None}, SETTINGS)
    for manifest in bundle.manifests:
        assert bundle.selector.items() <= manifest["metadata"]["labels"].items()
        kind = model.kind_of(manifest)
        if manifest["kind"] == "Namespace":
            assert not kind.namespaced
            assert "namespace" not in manifest["metadata"]
        else:
            assert kind.namespaced
            assert manifest["metadata"]["namespace"] in {bundle.namespace, *bundle.extra_namespaces}
    assert [m["kind"] for m in bundle.manifests].count("Namespace") == 1
    assert render.digest_of(bundle.manifests) == bundle.digest

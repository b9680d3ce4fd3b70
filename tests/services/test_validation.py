"""A request is judged once: shape and policy problems come back together, every field at once."""

from __future__ import annotations

import pytest

from nsaas.domain import errors
from nsaas.services import requests
from tests.services import fakes
from tests.services.conftest import ADMIN, DEVELOPER

SIX_FAULTS = {
    "namespaceName": "kube-system",  # policy: reserved
    "team": "Team A!",  # shape
    "environment": "production",
    "resourceTier": "micro",  # policy: micro is not allowed in production
    "networkPolicy": "open",  # policy: open is not allowed in production
    "features": ["teleport"],  # shape
    "description": "x" * 501,  # shape
    "ttl": "forever",  # shape
}


def accepted(new: object) -> dict[str, object]:
    return {"accepted": True}


async def test_shape_and_policy_faults_are_reported_in_one_answer(
    service: requests.RequestService, store: fakes.Store
) -> None:
    with pytest.raises(errors.ValidationFailed) as refused:
        await service.submit(SIX_FAULTS, ADMIN, respond=accepted)
    assert set(refused.value.details) == {
        "namespaceName",
        "team",
        "resourceTier",
        "networkPolicy",
        "features",
        "description",
        "ttl",
    }
    assert "reserved" in refused.value.details["namespaceName"]
    assert "not allowed in production" in refused.value.details["resourceTier"]
    assert not store.requests


async def test_six_different_faults_give_six_field_errors(service: requests.RequestService) -> None:
    body = {**SIX_FAULTS, "ttl": "72h"}
    with pytest.raises(errors.ValidationFailed) as refused:
        await service.submit(body, ADMIN, respond=accepted)
    assert len(refused.value.details) == 6, refused.value.details


async def test_a_well_formed_request_that_breaks_policy_is_a_policy_violation(
    service: requests.RequestService,
) -> None:
    body = {
        "namespaceName": "team-a-prod",
        "team": "team-a",
        "environment": "production",
        "resourceTier": "micro",
        "networkPolicy": "open",
    }
    with pytest.raises(errors.PolicyViolation) as refused:
        await service.submit(body, DEVELOPER, respond=accepted)
    assert set(refused.value.details) == {"resourceTier", "networkPolicy"}


async def test_a_foreign_team_with_malformed_fields_learns_nothing_about_that_team(
    service: requests.RequestService,
) -> None:
    body = {**SIX_FAULTS, "team": "team-b", "ttl": "72h"}
    with pytest.raises(errors.ValidationFailed) as refused:
        await service.submit(body, DEVELOPER, respond=accepted)
    assert set(refused.value.details) == {"features", "description"}


async def test_a_nul_in_free_text_is_refused_by_the_use_case_itself(
    service: requests.RequestService, store: fakes.Store
) -> None:
    body = {
        "namespaceName": "team-a-nul",
        "team": "team-a",
        "environment": "development",
        "resourceTier": "small",
        "networkPolicy": "isolated",
        "description": "a\x00b",
    }
    with pytest.raises(errors.ValidationFailed) as refused:
        await service.submit(body, DEVELOPER, respond=accepted)
    assert refused.value.details == {"description": "must not contain NUL characters"}
    assert not store.requests

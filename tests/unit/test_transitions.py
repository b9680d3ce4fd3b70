"""User decisions as domain transitions: the state a decision leads to depends on the current state only."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from nsaas.domain import changes, errors, lifecycle, records, requests, transitions
from tests.services import fakes

S = lifecycle.Status
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SPEC = requests.NamespaceSpec("pay-dev", "pay", "development", "small", "isolated", ttl_hours=24)


def _record(status: S, **fields: object) -> records.RequestRecord:
    new = records.NewRequest(spec=SPEC, status=status, engine="direct", requested_by="ada", status_reason="")
    return dataclasses.replace(fakes._stored(new, now=NOW), **fields)


def test_a_changed_spec_reapplies_a_ready_namespace_and_restarts_its_ttl() -> None:
    bigger = dataclasses.replace(SPEC, tier="large", ttl_hours=48)
    change = transitions.change_spec(_record(S.READY), bigger, ttl_given=True, now=NOW)
    assert (change.status, change.attempts, change.expires_at) == (S.UPDATING, 0, NOW + timedelta(hours=48))
    pending = transitions.change_spec(_record(S.PENDING_APPROVAL), bigger, ttl_given=False, now=NOW)
    assert pending.status is changes.KEEP


def test_an_unchanged_spec_moves_no_state() -> None:
    change = transitions.change_spec(_record(S.READY), SPEC, ttl_given=False, now=NOW)
    assert not change.moves_status


@pytest.mark.parametrize("status", [S.DECOMMISSIONING, S.DELETED, S.REJECTED])
def test_a_request_past_changing_refuses_a_change(status: S) -> None:
    with pytest.raises(errors.Conflict):
        transitions.change_spec(_record(status), SPEC, ttl_given=False, now=NOW)


def test_retry_returns_to_where_the_request_failed() -> None:
    assert transitions.retry(_record(S.FAILED), now=NOW).status == S.PROVISIONING
    assert transitions.retry(_record(S.FAILED, ready_at=NOW), now=NOW).status == S.UPDATING
    assert not transitions.retry(_record(S.DECOMMISSIONING), now=NOW).moves_status
    with pytest.raises(errors.Conflict):
        transitions.retry(_record(S.READY), now=NOW)


def test_cancel_of_a_provisioning_request_removes_what_was_created() -> None:
    assert transitions.cancel(_record(S.PENDING_APPROVAL), now=NOW).status == S.CANCELLED
    change = transitions.cancel(_record(S.PROVISIONING), now=NOW)
    assert (change.status, change.end_state) == (S.DECOMMISSIONING, S.CANCELLED)
    with pytest.raises(errors.Conflict):
        transitions.cancel(_record(S.READY), now=NOW)


def test_approval_starts_provisioning_and_the_ttl_now() -> None:
    change = transitions.approve(_record(S.PENDING_APPROVAL), approver="bob", now=NOW)
    assert (change.status, change.approved_by, change.expires_at) == (S.PROVISIONING, "bob", NOW + timedelta(hours=24))

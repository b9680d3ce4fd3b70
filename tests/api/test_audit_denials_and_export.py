"""Refusals are audited (who, what, why) without a flood filling the log; the log exports for a SIEM."""

from __future__ import annotations

import csv
import io
import json

from nsaas.domain import audit, records
from nsaas.services import denials
from tests.support.platform import Platform, unique


async def _denied(platform: Platform) -> list[dict]:
    answer = await platform.call("GET", "/api/platform/audit?outcome=denied", persona="platform-admin")
    assert answer.status_code == 200
    return answer.json()["data"]["items"]


async def test_a_refused_action_is_audited_with_who_what_and_why(platform: Platform) -> None:
    name = unique("denied")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    refused = await platform.call("POST", f"/namespaces/{name}/approve", persona="viewer", json={"reason": "x"})
    assert refused.status_code == 403
    found = [d for d in await _denied(platform) if name in d["target"]]
    assert len(found) == 1
    entry = found[0]
    assert entry["actor"] == "dev:viewer"
    assert entry["action"] == audit.ACCESS_DENIED
    assert entry["target"] == f"POST /api/platform/namespaces/{{name}}/approve {name}"
    assert entry["outcome"] == "denied"
    assert entry["detail"] == refused.json()["message"]
    assert entry["sourceIp"] == "203.0.113.7"


async def test_a_flood_of_identical_refusals_is_folded_into_one_record(platform: Platform) -> None:
    for _ in range(50):
        assert (await platform.call("GET", "/api/platform/audit", persona="viewer")).status_code == 403
    found = [d for d in await _denied(platform) if d["target"] == "GET /api/platform/audit"]
    assert len(found) == 1


class _Log:
    def __init__(self) -> None:
        self.written: list[records.NewAudit] = []

    async def add_audit(self, entry: records.NewAudit) -> records.AuditRecord:
        self.written.append(entry)
        return None  # type: ignore[return-value]


async def test_folded_and_capped_refusals_are_counted_in_the_next_record_written() -> None:
    now = [0.0]
    log = _Log()
    recorder = denials.DenialAudit(repo=log, window_seconds=60, max_records=3, clock=lambda: now[0])

    def denial(target: str) -> denials.Denial:
        return denials.Denial(actor="mallory", roles=(), action="DELETE /x/{name}", target=target, reason="not yours")

    assert await recorder.record(denial("a"))
    assert not await recorder.record(denial("a"))  # folded
    assert await recorder.record(denial("b"))
    assert await recorder.record(denial("c"))
    for target in "defgh":  # varying targets: over the cap of 3 a window
        assert not await recorder.record(denial(target))
    assert len(log.written) == 3
    now[0] = 61.0
    assert await recorder.record(denial("a"))
    assert log.written[-1].detail == (
        "not yours [1 identical refusal(s) in the previous window not recorded separately; "
        "5 refusal(s) over the audit rate cap not recorded]"
    )


async def test_the_audit_log_exports_as_ndjson_and_csv(platform: Platform) -> None:
    name = unique("export")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    await platform.call("GET", "/api/platform/audit", persona="viewer")
    ndjson = await platform.call("GET", "/api/platform/audit/export?format=ndjson", persona="platform-admin")
    assert ndjson.status_code == 200
    assert ndjson.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in ndjson.text.splitlines()]
    assert any(line["action"] == audit.REQUEST and line["target"] == name for line in lines)
    assert any(line["outcome"] == "denied" for line in lines)
    exported = await platform.call("GET", "/api/platform/audit/export?format=csv", persona="platform-admin")
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(exported.text)))
    assert len(table) == len(lines)
    assert any(row["action"] == audit.REQUEST and row["target"] == name for row in table)
    refused = await platform.call("GET", "/api/platform/audit/export?format=csv", persona="team-a-developer")
    assert refused.status_code == 403


async def test_a_provisioned_namespace_is_audited_as_provisioned(platform: Platform) -> None:
    name = unique("provisioned")
    await platform.call("POST", "/namespaces/request", json=platform.body(name))
    assert await platform.converge(name) == "ready"
    answer = await platform.call("GET", f"/api/platform/audit?target={name}", persona="platform-admin")
    actions = [item["action"] for item in answer.json()["data"]["items"]]
    assert actions == [audit.PROVISIONED, audit.REQUEST]

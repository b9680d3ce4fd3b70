"""Refused actions in the audit log (who, what, why), without letting a flood of them fill it.

Every authorization refusal the API answers with 403 is offered here. The first refusal of one
(actor, action, target) in a window is written as an ``access.denied`` record with the reason;
repeats inside the window are only counted, and the next record written for that key says how
many were folded into it. A process-wide cap on records per window stops a caller who varies the
target on every try: past the cap, refusals are counted in
``nsaas_audit_denials_suppressed_total`` and summarised in the next record written. The state is
per process (each API replica folds its own share), bounded to ``MAX_KEYS`` keys.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from nsaas import metrics
from nsaas.domain import audit, records
from nsaas.services import ports

log = structlog.get_logger("nsaas.denials")
WINDOW_SECONDS = 60.0
MAX_RECORDS_PER_WINDOW = 120
MAX_KEYS = 10_000


@dataclass(frozen=True, slots=True)
class Denial:
    actor: str
    roles: tuple[str, ...]
    action: str
    target: str
    reason: str
    correlation_id: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None


class DenialAudit:
    def __init__(
        self,
        *,
        repo: ports.AuditLog,
        window_seconds: float = WINDOW_SECONDS,
        max_records: int = MAX_RECORDS_PER_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._repo = repo
        self._window = window_seconds
        self._max = max_records
        self._clock = clock
        self._seen: OrderedDict[tuple[str, str, str], tuple[float, int]] = OrderedDict()
        self._window_start = clock()
        self._written = 0
        self._over_cap = 0

    async def record(self, denial: Denial) -> bool:
        """Write or fold one refusal; True when a record was written. Never raises."""
        now = self._clock()
        if now - self._window_start >= self._window:
            self._window_start, self._written = now, 0
        key = (denial.actor, denial.action, denial.target)
        first_seen, folded = self._seen.get(key, (0.0, 0))
        if key in self._seen and now - first_seen < self._window:
            self._seen[key] = (first_seen, folded + 1)
            return False
        if self._written >= self._max:
            self._over_cap += 1
            metrics.AUDIT_DENIALS_SUPPRESSED.inc()
            return False
        self._seen[key] = (now, 0)
        self._seen.move_to_end(key)
        while len(self._seen) > MAX_KEYS:
            self._seen.popitem(last=False)
        self._written += 1
        detail = self._detail(denial.reason, folded=folded)
        try:
            await self._repo.add_audit(
                records.NewAudit(
                    actor=denial.actor,
                    action=audit.ACCESS_DENIED,
                    target_type="action",
                    target=f"{denial.action} {denial.target}".strip(),
                    outcome="denied",
                    roles=denial.roles,
                    correlation_id=denial.correlation_id,
                    source_ip=denial.source_ip,
                    user_agent=denial.user_agent,
                    detail=detail,
                )
            )
        except Exception as error:  # an audit write must never turn a 403 into a 500
            log.warning("denial not audited", error=type(error).__name__)
            return False
        return True

    def _detail(self, reason: str, *, folded: int) -> str:
        notes = []
        if folded:
            notes.append(f"{folded} identical refusal(s) in the previous window not recorded separately")
        if self._over_cap:
            notes.append(f"{self._over_cap} refusal(s) over the audit rate cap not recorded")
            self._over_cap = 0
        return reason + (f" [{'; '.join(notes)}]" if notes else "")

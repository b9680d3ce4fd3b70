"""Retries with backoff and a circuit breaker around every Kubernetes API call.

Why both: retries absorb the short blips a busy API server produces (429 with Retry-After,
a 503 from an overloaded aggregator, a connection dropped by a load balancer), so one bad
response does not fail a whole reconcile. The breaker stops a fleet of reconcilers from
hammering an API server that is down: after ``breaker_failure_threshold`` consecutive transient
failures every call fails fast with :class:`errors.ClusterUnavailable` for
``breaker_reset_seconds``; then one probe call is let through (half-open) and its outcome closes
or re-opens the breaker.

Backoff is exponential with *full jitter* (a uniform delay in ``[0, min(cap, base * 2**n)]``),
which spreads retries of many clients out instead of synchronising them. A Retry-After from the
server is a floor for the delay (capped by ``backoff_max_seconds`` so one call stays bounded).
Sleep, clock and random source are injected so tests run in microseconds and deterministically.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from nsaas import config, metrics, tracing
from nsaas.adapters.kube import faults
from nsaas.domain import errors

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


@dataclass
class CallStats:
    """Counters of what the caller did; tests and benchmarks read them to bound retries."""

    calls: int = 0
    attempts: int = 0
    retries: int = 0
    transient_failures: int = 0
    fast_failures: int = 0


class CircuitBreaker:
    """Closed -> open after N consecutive transient failures -> half-open after a pause -> closed.

    In half-open state one probe call goes out at a time. A probe that never reports back
    (cancelled, or a bug raised something unexpected) is considered lost after another
    ``reset_seconds``, so the breaker can never stay stuck half-open.
    """

    def __init__(self, *, threshold: int, reset_seconds: float, clock: Clock = time.monotonic) -> None:
        self._threshold = threshold
        self._reset_seconds = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probe_started: float | None = None

    @property
    def is_open(self) -> bool:
        return self._opened_at is not None

    @property
    def blocking(self) -> bool:
        """Open and still inside the pause: calls must fail fast (does not claim the probe)."""
        return self._opened_at is not None and self._clock() - self._opened_at < self._reset_seconds

    def allow(self) -> bool:
        """May a call go out now? Claims the single probe slot when half-open."""
        if self._opened_at is None:
            return True
        now = self._clock()
        if now - self._opened_at < self._reset_seconds:
            return False
        if self._probe_started is not None and now - self._probe_started < self._reset_seconds:
            return False
        self._probe_started = now
        return True

    def record_success(self) -> None:
        self._failures = 0
        self._probe_started = None
        if self._opened_at is not None:
            self._opened_at = None
            metrics.KUBE_CIRCUIT_OPEN.set(0)

    def record_failure(self) -> None:
        self._failures += 1
        if self._probe_started is not None or self._failures >= self._threshold:
            self._probe_started = None
            self._opened_at = self._clock()
            metrics.KUBE_CIRCUIT_OPEN.set(1)


class Resilient:
    """Runs one API call with retries, breaker, metrics and error mapping."""

    def __init__(
        self,
        settings: config.ClusterSettings,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.breaker = CircuitBreaker(
            threshold=settings.breaker_failure_threshold, reset_seconds=settings.breaker_reset_seconds, clock=clock
        )
        self.stats = CallStats()

    @property
    def max_retries(self) -> int:
        return self._settings.max_retries

    async def pause(self, delay: float) -> None:
        """Sleep through the injected sleep (so tests and the watch loop share one clock)."""
        await self._sleep(delay)

    def backoff(self, retry: int, *, retry_after: float | None = None) -> float:
        """Delay before retry number ``retry`` (0-based): full jitter, Retry-After as a floor."""
        ceiling = min(self._settings.backoff_max_seconds, self._settings.backoff_base_seconds * 2**retry)
        delay = self._rng.uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._settings.backoff_max_seconds))
        return delay

    async def call(self, verb: str, what: str, operation: Callable[[], Awaitable[T]]) -> T:
        """Run ``operation`` until it succeeds, fails definitely, or retries run out.

        ``verb`` labels the metric (get, list, apply, create, delete, version); ``what`` names the
        object in error messages. Raises only :class:`errors.NsaasError` subclasses for API failures.
        """
        self.stats.calls += 1
        # lightkube speaks httpx2, which httpx's instrumentation does not see: one span per call here.
        with tracing.client_span(f"kubernetes {verb}", target=what):
            return await self._call(verb, what, operation)

    async def _call(self, verb: str, what: str, operation: Callable[[], Awaitable[T]]) -> T:
        retry = 0
        while True:
            if not self.breaker.allow():
                self.stats.fast_failures += 1
                metrics.KUBE_REQUESTS.labels(verb, "circuit_open").inc()
                raise errors.ClusterUnavailable(f"{what}: circuit breaker open, Kubernetes API unavailable")
            self.stats.attempts += 1
            try:
                result = await operation()
            except Exception as exc:
                if not faults.is_api_failure(exc):
                    raise
                delay = self._handle_failure(exc, verb=verb, what=what, retry=retry)
            else:
                self.breaker.record_success()
                metrics.KUBE_REQUESTS.labels(verb, "success").inc()
                return result
            self.stats.retries += 1
            retry += 1
            await self._sleep(delay)

    def _handle_failure(self, exc: Exception, *, verb: str, what: str, retry: int) -> float:
        """Record the failure; return the delay before retrying, or raise the mapped error."""
        mapped = faults.to_domain(exc, what=what)
        if not faults.is_transient(exc):
            if isinstance(mapped, errors.ClusterError):  # the server answered: it is up
                self.breaker.record_success()
            metrics.KUBE_REQUESTS.labels(verb, mapped.code).inc()
            raise mapped from exc
        self.stats.transient_failures += 1
        self.breaker.record_failure()
        metrics.KUBE_REQUESTS.labels(verb, "unavailable").inc()
        if retry >= self._settings.max_retries or self.breaker.is_open:
            raise mapped from exc
        return self.backoff(retry, retry_after=faults.retry_after_seconds(exc))

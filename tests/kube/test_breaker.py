"""The circuit breaker's state machine, with a hand-driven clock."""

from __future__ import annotations

from nsaas.adapters.kube import resilience


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _opened(clock: Clock) -> resilience.CircuitBreaker:
    breaker = resilience.CircuitBreaker(threshold=2, reset_seconds=10, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    return breaker


def test_only_one_probe_goes_out_while_half_open() -> None:
    clock = Clock()
    breaker = _opened(clock)
    clock.now = 11
    assert breaker.allow()
    assert not breaker.allow()


def test_a_lost_probe_does_not_keep_the_breaker_half_open_forever() -> None:
    clock = Clock()
    breaker = _opened(clock)
    clock.now = 11
    assert breaker.allow()  # this probe never reports back (cancelled)
    clock.now = 22
    assert breaker.allow()


def test_a_watch_check_does_not_claim_the_probe() -> None:
    clock = Clock()
    breaker = _opened(clock)
    assert breaker.blocking
    clock.now = 11
    assert not breaker.blocking
    assert breaker.allow()


def test_failures_that_are_not_consecutive_do_not_open_the_breaker() -> None:
    breaker = resilience.CircuitBreaker(threshold=2, reset_seconds=10, clock=Clock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert not breaker.is_open

"""The one-line root cause of a failure puts the real cause first, not the objects it held back."""

from __future__ import annotations

from nsaas.domain import failures


def test_the_namespace_failure_is_the_root_cause_not_the_skipped_objects() -> None:
    skipped = "; ".join(f"Role/demo/r{i}: skipped: namespace demo could not be applied" for i in range(12))
    message = (
        "gave up after 8 attempts: apply failed: LimitRange/demo/l: skipped: namespace demo could not be applied; "
        f"Namespace/demo: the API server answered 500 Internal Server Error; {skipped}"
    )
    assert failures.root_cause(message) == (
        "Namespace/demo: the API server answered 500 Internal Server Error (13 more objects skipped because of it)"
    )


def test_other_messages_become_one_bounded_line() -> None:
    assert failures.root_cause("namespace x was deleted\noutside the platform") == (
        "namespace x was deleted outside the platform"
    )
    long = failures.root_cause("x" * 1000)
    assert long is not None
    assert len(long) == failures.MAX_LENGTH
    assert failures.root_cause(None) is None
    assert failures.root_cause("  ") is None


def test_several_real_failures_are_counted() -> None:
    message = "apply failed: A/x: 403 forbidden; B/y: 422 invalid"
    assert failures.root_cause(message) == "A/x: 403 forbidden (and 1 more failure)"


def test_a_retry_warning_keeps_its_attempt_and_its_delay() -> None:
    message = (
        "attempt 3 failed: apply failed: Namespace/d: 500 boom; "
        "Role/d/r: skipped: namespace d could not be applied; retrying in 4.0s"
    )
    assert failures.root_cause(message) == (
        "attempt 3 failed: Namespace/d: 500 boom (1 more object skipped because of it); retrying in 4.0s"
    )


def test_a_cause_that_repeats_its_objects_name_names_it_once() -> None:
    message = "apply failed: Namespace/x: Namespace/x: an error on the server; Role/x/r: skipped: namespace x"
    assert failures.root_cause(message) == "Namespace/x: an error on the server (1 more object skipped because of it)"

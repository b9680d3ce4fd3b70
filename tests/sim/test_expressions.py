"""Argo expression handling: substitution, when, resource conditions, durations."""

from __future__ import annotations

import pytest

from nsaas.sim.argo import expressions

SCOPE = {"workflow.name": "wf-1", "inputs.parameters.n": "3", "item": {"name": "a", "spec": {"x": 1}}}


def test_substitution_renders_object_items_as_json() -> None:
    assert expressions.substitute("{{item}}", SCOPE) == '{"name":"a","spec":{"x":1}}'
    assert expressions.substitute("{{ item.name }}-{{workflow.name}}", SCOPE) == "a-wf-1"
    assert expressions.substitute("{{item.spec}}", SCOPE) == '{"x":1}'


def test_an_unresolvable_reference_is_an_error() -> None:
    with pytest.raises(expressions.ExpressionError, match=r"workflow\.parameters\.missing"):
        expressions.substitute("{{workflow.parameters.missing}}", SCOPE)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("Succeeded == Succeeded", True),
        ("'Failed' != Succeeded", True),
        ("a == b || c == c", True),
        ("a == a && b == c", False),
        ("false", False),
    ],
)
def test_when_expressions(expression: str, expected: bool) -> None:
    assert expressions.when(expression) is expected


OBJ = {"status": {"phase": "Active", "replicas": 3}, "metadata": {"labels": {"platform.io/team": "a"}}}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("status.phase == Active", True),
        ("status.phase = Active", True),
        ("status.phase != Active", False),
        ("status.phase in (Active,Pending)", True),
        ("status.phase notin (Active)", False),
        ("status.replicas > 2", True),
        ("status.replicas < 2", False),
        ("status.phase == Active,status.replicas > 5", False),
        (r"metadata.labels.platform\.io/team == a", True),
        ("status.missing == x", False),
    ],
)
def test_resource_conditions(condition: str, expected: bool) -> None:
    assert expressions.condition(OBJ, condition) is expected


@pytest.mark.parametrize(("text", "seconds"), [("1s", 1.0), ("500ms", 0.5), ("1m30s", 90.0), ("2", 2.0), (3, 3.0)])
def test_durations(text: str | int, seconds: float) -> None:
    assert expressions.duration_seconds(text) == seconds


def test_a_malformed_duration_is_an_error() -> None:
    with pytest.raises(expressions.ExpressionError):
        expressions.duration_seconds("soon")

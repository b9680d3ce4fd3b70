"""Pure building blocks: quantities, JSON patch and field ownership paths."""

from __future__ import annotations

import decimal

import pytest

from nsaas.sim import errors, managed, patching, quantity


@pytest.mark.parametrize(("text", "value"), [("100m", "0.1"), ("2", "2"), ("1Gi", str(2**30)), ("1k", "1000")])
def test_quantities_parse_to_base_units(text: str, value: str) -> None:
    assert quantity.parse(text) == decimal.Decimal(value)


def test_quantities_format_like_kubernetes() -> None:
    assert quantity.format_cpu(decimal.Decimal("1.25")) == "1250m"
    assert quantity.format_cpu(decimal.Decimal(2)) == "2"
    assert quantity.format_bytes(decimal.Decimal(3 * 2**20)) == "3Mi"
    assert quantity.format_bytes(decimal.Decimal(1000)) == "1000"


def test_json_patch_supports_every_operation() -> None:
    doc = {"a": {"b": [1, 2]}, "c": 1}
    ops = [
        {"op": "add", "path": "/a/b/-", "value": 3},
        {"op": "remove", "path": "/c"},
        {"op": "copy", "from": "/a/b", "path": "/d"},
        {"op": "move", "from": "/d", "path": "/e"},
        {"op": "replace", "path": "/a/b/0", "value": 0},
        {"op": "test", "path": "/e", "value": [1, 2, 3]},
    ]

    assert patching.json_patch(doc, ops) == {"a": {"b": [0, 2, 3]}, "e": [1, 2, 3]}
    assert doc == {"a": {"b": [1, 2]}, "c": 1}


def test_json_patch_on_a_missing_path_is_invalid() -> None:
    with pytest.raises(errors.ApiError) as raised:
        patching.json_patch({}, [{"op": "remove", "path": "/nope"}])

    assert raised.value.code == 422


def test_field_paths_round_trip_through_fields_v1() -> None:
    obj = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "x", "labels": {"a": "1"}},
        "data": {"k": "v"},
        "spec": {"list": [1], "empty": {}},
    }
    paths = managed.paths(obj)

    assert paths == {("metadata", "labels", "a"), ("data", "k"), ("spec", "list"), ("spec", "empty")}
    assert managed.from_fields_v1(managed.to_fields_v1(paths)) == paths

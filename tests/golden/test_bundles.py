"""Golden bundles: the rendered YAML of each representative request, compared byte for byte.

A renderer change shows up as a diff of committed YAML in review. Refresh deliberately with
``make golden`` (``NSAAS_REGENERATE_GOLDEN=1``); a missing or stale file fails the suite.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nsaas.bundle import render
from tests.golden import cases

GOLDEN_DIR = Path(__file__).parent / "bundles"
REGENERATE = os.environ.get("NSAAS_REGENERATE_GOLDEN") == "1"


@pytest.mark.parametrize("case", cases.CASES, ids=lambda case: case.name)
def test_rendered_bundle_matches_its_committed_golden_yaml(case: cases.Case) -> None:
    text = render.to_yaml(case.render())
    path = GOLDEN_DIR / f"{case.name}.yaml"
    if REGENERATE:
        GOLDEN_DIR.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"golden file {path} is missing; run `make golden` and review the new file")
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs; if intended, run `make golden`"


def test_every_golden_file_belongs_to_a_case() -> None:
    names = {case.name for case in cases.CASES}
    assert len(names) == len(cases.CASES), "case names must be unique"
    stale = sorted(p.name for p in GOLDEN_DIR.glob("*.yaml") if p.stem not in names)
    if REGENERATE:
        for name in stale:
            (GOLDEN_DIR / name).unlink()
        return
    assert not stale, f"golden files without a case (delete them or run `make golden`): {stale}"

"""Rendering reads only the bundle options and label names, not the whole process configuration."""

from __future__ import annotations

from dataclasses import dataclass, field

from nsaas import config
from nsaas.bundle import render
from nsaas.services import bodies


@dataclass(frozen=True)
class OnlyWhatRenderingNeeds:
    bundle: config.BundleSettings = field(default_factory=config.BundleSettings)
    labels: config.LabelSettings = field(default_factory=config.LabelSettings)


def test_a_bundle_renders_from_bundle_and_label_settings_alone() -> None:
    spec = bodies.parse_spec(
        {
            "namespaceName": "team-a-shop",
            "team": "team-a",
            "environment": "development",
            "resourceTier": "small",
            "networkPolicy": "isolated",
        }
    )
    alone = render.render_bundle(spec, OnlyWhatRenderingNeeds(), request_id="r1", requested_by="ada")
    full = render.render_bundle(spec, config.Settings(), request_id="r1", requested_by="ada")
    assert alone.digest == full.digest

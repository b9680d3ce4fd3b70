"""One version everywhere: the package metadata's, in the API, the build-info metric and deploy/."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import yaml

import nsaas
from tests.support.platform import Platform

REPO = Path(__file__).resolve().parents[2]


def test_the_package_version_is_pyprojects() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert nsaas.VERSION == metadata.version("nsaas") == declared


async def test_the_api_reports_the_package_version_in_openapi_health_and_build_info(platform: Platform) -> None:
    assert (await platform.client.get("/api/openapi.json")).json()["info"]["version"] == nsaas.VERSION
    assert (await platform.client.get("/health/detailed")).json()["version"] == nsaas.VERSION
    metrics = (await platform.client.get("/metrics")).text
    build_info = [line for line in metrics.splitlines() if line.startswith("nsaas_build_info{")]
    assert build_info
    assert all(f'version="{nsaas.VERSION}"' in line for line in build_info)


def test_every_deploy_image_tag_is_the_package_version() -> None:
    paths = [
        REPO / "deploy" / "kustomization.yaml",
        *sorted((REPO / "deploy" / "overlays").glob("*/kustomization.yaml")),
    ]
    tags = {}
    for path in paths:
        for image in yaml.safe_load(path.read_text()).get("images", []):
            if image["name"] == "nsaas":
                tags[str(path.relative_to(REPO))] = image["newTag"]
    assert len(tags) == 4
    assert set(tags.values()) == {nsaas.VERSION}, tags

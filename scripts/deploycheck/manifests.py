"""Build the overlays with kustomize (kubectl's built-in copy) and load the result."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import yaml
from scripts.deploycheck import findings

#: What gets built: every environment, plus the operators layer that must be applied first.
BUILD_TARGETS = ("operators", "overlays/development", "overlays/staging", "overlays/production")


@dataclass(frozen=True, slots=True)
class Build:
    target: str
    objects: list[findings.Manifest]


class BuildError(Exception):
    """kustomize refused to build a target."""


def kubectl() -> str:
    path = shutil.which("kubectl")
    if path is None:
        raise BuildError("kubectl is not installed (it carries kustomize); see docs/deployment.md")
    return path


def build(deploy_dir: Path, target: str) -> Build:
    """``kubectl kustomize deploy/<target>`` as a list of manifests."""
    result = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [kubectl(), "kustomize", str(deploy_dir / target)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise BuildError(f"kustomize build of {target} failed: {result.stderr.strip()}")
    return Build(target=target, objects=[d for d in yaml.safe_load_all(result.stdout) if d])


def load_file(path: Path) -> list[findings.Manifest]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]

"""nsaas.

``VERSION`` comes from the installed package's metadata (pyproject.toml's ``version``), the one
source of the version: the API's OpenAPI document, ``/health/detailed``, ``nsaas_build_info`` and
the image tag in deploy/ all show it (tests/unit/test_version.py keeps the deploy tags in step).
"""

from importlib import metadata

VERSION = metadata.version("nsaas")

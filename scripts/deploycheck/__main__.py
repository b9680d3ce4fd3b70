"""Entry point: ``python -m scripts.deploycheck``."""

import sys

from scripts.deploycheck import cli

sys.exit(cli.main())

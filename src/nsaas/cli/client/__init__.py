"""The developer CLI: ``nsaas login|logout|whoami`` and ``nsaas ns ...``, a client of the Platform API.

These commands talk to the API over HTTP only (never to the database or the cluster), so they
work from a laptop against any deployment. The exit codes are part of the contract (see
:mod:`nsaas.cli.client.api` and docs/cli.md).
"""

"""Offline validation of the deployment stack under ``deploy/``.

``deploy/validate-production-stack.sh`` runs ``python -m scripts.deploycheck``; the planted-defect
tests in ``tests/deploy`` run the same checks on a copied, deliberately broken tree. Every check
returns :class:`findings.Finding` values instead of raising, so one run reports every problem.
"""

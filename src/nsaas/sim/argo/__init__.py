"""A subset of the Argo Workflows controller, enough to run the platform's provisioning templates.

``docs/simulator.md`` lists exactly what is simulated; anything else fails the node loudly rather
than pretending to succeed.
"""

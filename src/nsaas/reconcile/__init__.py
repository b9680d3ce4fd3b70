"""The reconciler: drives every request towards its desired state, one safe step at a time.

* :mod:`~nsaas.reconcile.loop`: the loop, claiming and the per-request guard;
* :mod:`~nsaas.reconcile.steps`: converge, verify, resync and decommission of one request;
* :mod:`~nsaas.reconcile.outcomes`: how a result is written (release, back-off, failure, timeline);
* :mod:`~nsaas.reconcile.housekeeping`: TTL expiry and warnings, the orphan sweep, idempotency purge;
* :mod:`~nsaas.reconcile.engines`: the :class:`~nsaas.reconcile.engines.Engine` protocol, its
  registry and the ``direct`` and ``argo`` engines;
* :mod:`~nsaas.reconcile.selftest`: the admin's dry-run check of the provisioning path.

It sits between the adapters and the services: it uses the services' ports and the domain, and
nothing below it imports it.
"""

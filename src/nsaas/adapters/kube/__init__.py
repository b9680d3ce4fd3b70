"""The cluster adapter: lightkube against a real cluster or the embedded simulator, same code.

Entry point: :class:`nsaas.adapters.kube.cluster.Cluster`. Modules: ``client`` (connection and
resource classes), ``api`` (dict-in/dict-out verbs), ``resilience`` (retries, circuit breaker),
``faults`` (error mapping), ``applier`` (apply + prune), ``observer`` (drift and quota usage),
``compare`` and ``quantity`` (pure helpers), ``watching`` (resumable watches), ``workflows``
(Argo Workflow objects), ``results`` (the values returned to services).
"""

"""Resumable watches: a stream of changes that survives dropped connections.

A watch is a long-lived GET; load balancers and API server restarts cut it. This loop resumes
from the last ``resourceVersion`` it delivered, so no change is lost or repeated. When the
server answers 410 Gone (the version is older than its history), the watch restarts without a
version: the server then replays the current state as ADDED events, which is exactly what a
level-triggered consumer needs. Transient failures back off like any other call and share the
circuit breaker; after ``max_retries`` consecutive failures the error is raised to the caller.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any, cast

from nsaas.adapters.kube import api, client, faults, results
from nsaas.domain import errors

#: Ask the server to end each watch request after this long; the loop reconnects transparently.
SERVER_TIMEOUT_SECONDS = 300


async def watch(
    *,
    kube: api.KubeApi,
    api_version: str,
    kind: str,
    namespace: str | None = None,
    labels: Mapping[str, str] | None = None,
    resource_version: str | None = None,
) -> AsyncGenerator[results.WatchEvent, None]:
    """Yield every change of ``kind`` (in ``namespace``, matching ``labels``) after ``resource_version``."""
    version = resource_version
    failures = 0
    caller = kube.caller
    while True:
        if caller.breaker.blocking:  # a watch never claims the half-open probe: it may idle for minutes
            raise errors.ClusterUnavailable(f"watch {kind}: circuit breaker open, Kubernetes API unavailable")
        stream = _open(kube, api_version=api_version, kind=kind, namespace=namespace, labels=labels, version=version)
        try:
            async for event_type, obj in stream:
                failures = 0
                caller.breaker.record_success()
                event = results.WatchEvent(
                    type=event_type, object={**client.to_manifest(obj), "apiVersion": api_version, "kind": kind}
                )
                version = event.resource_version or version
                yield event
        except Exception as exc:
            if not faults.is_api_failure(exc):
                raise
            if faults.status_of(exc) == 410:
                version = None
                continue
            if not faults.is_transient(exc) or failures >= caller.max_retries:
                raise faults.to_domain(exc, what=f"watch {kind}") from exc
            caller.breaker.record_failure()
            await caller.pause(caller.backoff(failures))
            failures += 1
        finally:
            await stream.aclose()


def _open(
    kube: api.KubeApi,
    *,
    api_version: str,
    kind: str,
    namespace: str | None,
    labels: Mapping[str, str] | None,
    version: str | None,
) -> AsyncGenerator[tuple[str, Any], None]:
    res: Any = client.resource_class(api_version, kind)
    selector: dict[str, Any] | None = dict(labels) if labels else None
    lk = kube.raw_client()
    if namespace is None:
        stream = lk.watch(res, labels=selector, resource_version=version, server_timeout=SERVER_TIMEOUT_SECONDS)
    else:
        stream = lk.watch(
            res, namespace=namespace, labels=selector, resource_version=version, server_timeout=SERVER_TIMEOUT_SECONDS
        )
    return cast(AsyncGenerator[tuple[str, Any], None], stream)

"""The one error tree of nsaas.

Every layer raises these (adapters wrap library errors with ``raise ... from``); only
``nsaas.api.errors`` decides which HTTP status each one becomes. ``details`` maps a field (or
object) name to a message a person can act on, so a client can show every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping


class NsaasError(Exception):
    """Base of every error nsaas raises on purpose."""

    code = "error"

    def __init__(self, message: str, *, details: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, str] = dict(details or {})


class ConfigurationError(NsaasError):
    code = "configuration_error"


class ValidationFailed(NsaasError):
    """The input is malformed: every failing field is in ``details``."""

    code = "validation_failed"


class PolicyViolation(NsaasError):
    """The input is well-formed but the platform's policy refuses it."""

    code = "policy_violation"


class NotFound(NsaasError):
    code = "not_found"


class Conflict(NsaasError):
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class NameTaken(Conflict):
    """A live request already has this namespace name (however close the two requests were)."""

    code = "name_taken"


class IdempotencyInUse(Conflict):
    """A request with this Idempotency-Key is still being processed: retry after a moment."""

    code = "idempotency_key_in_use"
    retry_after = 1


class PreconditionFailed(NsaasError):
    code = "precondition_failed"


class IdempotencyMismatch(NsaasError):
    code = "idempotency_key_reused"


class AuthenticationFailed(NsaasError):
    code = "unauthenticated"


class PermissionDenied(NsaasError):
    code = "forbidden"


class RateLimited(NsaasError):
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DatabaseUnavailable(NsaasError):
    """The database cannot be reached right now (outage, restart, failover): try again shortly."""

    code = "database_unavailable"
    retry_after = 5


class ClusterError(NsaasError):
    """A Kubernetes API call failed; ``status`` is the HTTP status when there was one."""

    code = "cluster_error"

    def __init__(self, message: str, *, status: int | None = None, details: Mapping[str, str] | None = None) -> None:
        super().__init__(message, details=details)
        self.status = status


class ClusterUnavailable(ClusterError):
    """Transient: 429, 5xx, timeouts, dropped connections, or the circuit breaker is open."""

    code = "cluster_unavailable"


class ClusterNotFound(ClusterError):
    code = "cluster_not_found"


class ClusterConflict(ClusterError):
    code = "cluster_conflict"


class ClusterRejected(ClusterError):
    """The API server refused the object itself (4xx other than 404/409/429): retrying won't help."""

    code = "cluster_rejected"

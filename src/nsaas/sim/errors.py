"""Kubernetes ``Status`` errors.

Clients decide what to do from the HTTP code *and* the ``reason`` of the ``kind: Status`` body
(lightkube turns it into ``ApiError``; kubectl prints ``message``), so every refusal carries the
same code, reason, message and details a kube-apiserver would send.
"""

from __future__ import annotations

from typing import Any

from nsaas.sim import resources


class ApiError(Exception):
    """A refusal that becomes a ``kind: Status`` response."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}

    def status(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            body["details"] = self.details
        return body


def _details(rt: resources.ResourceType, name: str) -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": rt.plural}
    if rt.group:
        details["group"] = rt.group
    return details


def not_found(rt: resources.ResourceType, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{rt.qualified} "{name}" not found', details=_details(rt, name))


def already_exists(rt: resources.ResourceType, name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f'{rt.qualified} "{name}" already exists', details=_details(rt, name))


def conflict(rt: resources.ResourceType, name: str) -> ApiError:
    message = (
        f'Operation cannot be fulfilled on {rt.qualified} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    return ApiError(409, "Conflict", message, details=_details(rt, name))


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def invalid(rt: resources.ResourceType, name: str, message: str) -> ApiError:
    return ApiError(
        422, "Invalid", f'{rt.kind} "{name}" is invalid: {message}', details={**_details(rt, name), "kind": rt.kind}
    )


def forbidden(rt: resources.ResourceType, name: str, *, verb: str, namespace: str | None) -> ApiError:
    """What RBAC answers when no rule grants ``verb`` on the resource (the caller is not named here)."""
    where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    message = (
        f'{rt.qualified} "{name}" is forbidden: the caller cannot {verb} resource "{rt.plural}" in API group '
        f'"{rt.group}"{where} (fault injected)'
    )
    return ApiError(403, "Forbidden", message, details=_details(rt, name))


def namespace_terminating(rt: resources.ResourceType, name: str, namespace: str) -> ApiError:
    message = (
        f'{rt.qualified} "{name}" is forbidden: unable to create new content in namespace {namespace} '
        "because it is being terminated"
    )
    cause = {
        "reason": "NamespaceTerminating",
        "message": f"namespace {namespace} is being terminated",
        "field": "metadata.namespace",
    }
    return ApiError(403, "Forbidden", message, details={**_details(rt, name), "causes": [cause]})


def expired(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized", "Unauthorized")


def method_not_allowed() -> ApiError:
    return ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def path_not_found(path: str) -> ApiError:
    return ApiError(404, "NotFound", f"the server could not find the requested resource ({path})")

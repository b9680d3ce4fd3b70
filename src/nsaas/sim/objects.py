"""Small, pure helpers for object metadata shared by the API and the controllers."""

from __future__ import annotations

import datetime
import re
import secrets
import uuid
from typing import Any

from nsaas.sim import codec

Obj = dict[str, Any]

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # kube-apiserver's generateName alphabet
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uid() -> str:
    return str(uuid.uuid4())


def generated_name(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(5))


def clone(obj: Any) -> Any:
    """A deep copy of JSON data."""
    return codec.clone(obj)


def name_problem(name: str, *, label: bool, lenient: bool) -> str | None:
    """Why ``name`` is not a valid object name, or None. RBAC kinds allow any path segment."""
    if lenient:
        return "may not contain '/' or '%'" if ("/" in name or "%" in name or name in (".", "..")) else None
    pattern, limit = (_DNS_LABEL, 63) if label else (_DNS_SUBDOMAIN, 253)
    if len(name) > limit or not pattern.match(name):
        kind = "RFC 1123 label" if label else "RFC 1123 subdomain"
        return (
            f"a lowercase {kind} must consist of lower case alphanumeric characters, '-' or '.', and must start "
            "and end with an alphanumeric character"
        )
    return None


def pending_finalizers(obj: Obj) -> list[str]:
    """Finalizers still blocking removal; a namespace also waits for its ``spec.finalizers``."""
    found = list(obj.get("metadata", {}).get("finalizers") or [])
    if obj.get("kind") == "Namespace":
        found += list((obj.get("spec") or {}).get("finalizers") or [])
    return found


def content_changed(old: Obj, new: Obj) -> bool:
    """True when anything but metadata and status differs: what bumps ``metadata.generation``."""
    keys = (set(old) | set(new)) - {"metadata", "status", "apiVersion", "kind"}
    return any(old.get(k) != new.get(k) for k in keys)


def same_object(old: Obj, new: Obj) -> bool:
    """True when a write would change nothing (resourceVersion aside): such writes are no-ops."""
    if content_changed(old, new) or old.get("status") != new.get("status"):
        return False
    old_meta = {k: v for k, v in old.get("metadata", {}).items() if k not in ("resourceVersion", "managedFields")}
    new_meta = {k: v for k, v in new.get("metadata", {}).items() if k not in ("resourceVersion", "managedFields")}
    return old_meta == new_meta and _fields(old) == _fields(new)


def _fields(obj: Obj) -> list[tuple[Any, Any, Any]]:
    return [(e.get("manager"), e.get("operation"), e.get("fieldsV1")) for e in obj["metadata"].get("managedFields", [])]

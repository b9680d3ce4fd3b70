"""Behaviour particular to a kind, like kube-apiserver's registry strategies.

Namespaces get ``status.phase`` Active, the ``kubernetes`` finalizer and the immutable
``kubernetes.io/metadata.name`` label on create (NetworkPolicies select namespaces by that label,
so no write may remove it), and go Terminating when deleted. CustomResourceDefinitions are
validated and reported Established at once.
"""

from __future__ import annotations

from typing import Any

from nsaas.sim import errors, objects, resources

Obj = dict[str, Any]
CRD_KEY = "customresourcedefinitions.apiextensions.k8s.io"
NAME_LABEL = "kubernetes.io/metadata.name"


def prepare_create(rt: resources.ResourceType, obj: Obj) -> None:
    """Fill in what the server sets on create (``obj`` is owned by the caller and changed in place)."""
    if rt.key == "namespaces":
        obj["metadata"]["labels"] = {**(obj["metadata"].get("labels") or {}), NAME_LABEL: obj["metadata"]["name"]}
        obj["spec"] = {**(obj.get("spec") or {}), "finalizers": ["kubernetes"]}
        obj["status"] = {"phase": "Active"}
    elif rt.key == CRD_KEY:
        if resources.from_crd(obj) is None:
            raise errors.invalid(rt, obj["metadata"]["name"], "spec: a group, names and a served version are required")
        obj["status"] = _crd_status(obj)


def _crd_status(crd: Obj) -> Obj:
    created = crd["metadata"]["creationTimestamp"]
    conditions = [
        {"type": kind, "status": "True", "reason": reason, "lastTransitionTime": created}
        for kind, reason in (("NamesAccepted", "NoConflicts"), ("Established", "InitialNamesAccepted"))
    ]
    stored = [v["name"] for v in crd["spec"]["versions"] if v.get("storage", True)]
    return {"acceptedNames": crd["spec"]["names"], "storedVersions": stored, "conditions": conditions}


def keep_server_owned(rt: resources.ResourceType, old: Obj, new: Obj) -> Obj:
    """Restore what clients may not change through the main resource."""
    if rt.key != "namespaces":
        return new
    meta = {**new["metadata"], "labels": {**(new["metadata"].get("labels") or {}), NAME_LABEL: old["metadata"]["name"]}}
    result = {**new, "metadata": meta}
    finalizers = (old.get("spec") or {}).get("finalizers") or []
    if "kubernetes" in finalizers:  # only the namespace controller removes it, through /finalize
        result["spec"] = {**(result.get("spec") or {}), "finalizers": finalizers}
    return result


def marked_for_deletion(rt: resources.ResourceType, old: Obj) -> Obj:
    """The object as it stays while finalizers hold it: deletionTimestamp set, a namespace Terminating."""
    meta = {**old["metadata"], "deletionTimestamp": objects.now(), "deletionGracePeriodSeconds": 0}
    new = {**old, "metadata": meta}
    if rt.key == "namespaces":
        new["status"] = {**(old.get("status") or {}), "phase": "Terminating"}
    return new

"""A request has one source: the API (portal, CLI, Backstage) or a GitOps ``NamespaceRequest``.

If both could write one namespace they would fight: Git would put back the tier someone raised
in the portal, and a portal deletion would be undone by the next Flux sync. So the source that
created a request owns its desired state, and every write from the other side is refused with
a message saying where the change must be made. Reads are open to both.
"""

from __future__ import annotations

from typing import Literal

from nsaas.domain import errors

Source = Literal["api", "gitops"]
API: Source = "api"
GITOPS: Source = "gitops"


class SourceConflict(errors.Conflict):
    """A write from the side that does not own the request."""

    code = "owned_by_other_source"


def check_writer(*, name: str, owner: str, owner_ref: str | None, writer: str, writer_ref: str | None) -> None:
    """Raise :class:`errors.Conflict` unless ``writer`` (and, for GitOps, its resource) owns ``name``."""
    if owner == writer and (owner != GITOPS or owner_ref == writer_ref):
        return
    if owner == GITOPS:
        raise SourceConflict(
            f"{name} is managed by GitOps (NamespaceRequest {owner_ref}); change it with a pull request to "
            "the GitOps repository, not through the API",
            details={"source": f"gitops: NamespaceRequest {owner_ref} owns {name}; the API sees it read-only"},
        )
    raise SourceConflict(
        f"{name} was requested through the API; a NamespaceRequest ({writer_ref}) cannot take it over",
        details={"source": f"api: {name} is managed through the portal, CLI or API"},
    )

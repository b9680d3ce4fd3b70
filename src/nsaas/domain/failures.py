"""The one line that explains a failure, picked out of the reconciler's full error text.

A failed apply records every object's outcome, ``apply failed: A: why; B: skipped: ...; ...``.
When the Namespace itself fails, every namespaced object after it is "skipped", so the real
cause is one clause among a dozen. People read the first line; this finds the line worth reading
(the first clause that is not a consequence of another) and says how many objects it held back.
The full text stays available as the details.
"""

from __future__ import annotations

import re

_GAVE_UP = re.compile(r"^gave up after \d+ attempts: ")
_RETRYING = re.compile(r"; (retrying in [\d.]+s)$")
_APPLY = "apply failed: "
_SKIPPED = "skipped: "
MAX_LENGTH = 240
#: The status reason of a request that waits for an unreachable cluster (it never gives up on it).
WAITING_FOR_CLUSTER = "waiting for the cluster"


def root_cause(message: str | None) -> str | None:
    """The first cause in ``message`` as one line (None for no message)."""
    if not message or not message.strip():
        return None
    text = _GAVE_UP.sub("", message.strip())
    retrying = _RETRYING.search(text)
    if retrying:
        text = text[: retrying.start()]
    lead, found, rest = text.partition(_APPLY)
    if not found:
        return _one_line(text)
    then = f"; {retrying.group(1)}" if retrying else ""
    clauses = [c.strip() for c in rest.split("; ") if c.strip()]
    causes = [c for c in clauses if not _is_skipped(c)]
    skipped = len(clauses) - len(causes)
    first = _without_repeated_key(causes[0] if causes else (clauses[0] if clauses else text))
    held = f" ({skipped} more object{'s' if skipped != 1 else ''} skipped because of it)" if skipped and causes else ""
    extra = len(causes) - 1
    more = f" (and {extra} more failure{'s' if extra != 1 else ''})" if extra > 0 else ""
    return _one_line(f"{lead}{first}{more}{held}{then}")


def _without_repeated_key(clause: str) -> str:
    """``Namespace/x: Namespace/x: why`` (the client's message names the object too) reads ``Namespace/x: why``."""
    key, _, why = clause.partition(": ")
    return f"{key}: {why.removeprefix(key + ': ')}" if why else clause


def _is_skipped(clause: str) -> bool:
    _, _, why = clause.partition(": ")
    return why.startswith(_SKIPPED)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_LENGTH else line[: MAX_LENGTH - 1].rstrip() + "…"

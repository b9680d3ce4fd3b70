"""Why a credential was refused, as one :class:`errors.AuthenticationFailed` with a machine reason.

Every verifier raises through :func:`refused` so the reason (``expired``, ``wrong_audience``,
``algorithm_refused`` ...) is in ``details["reason"]``: the authenticator counts it in
``nsaas_auth_failures_total{reason}`` and the API may log it, while the message stays safe to show
a client (it never echoes the token or key material).
"""

from __future__ import annotations

import jwt

from nsaas.domain import errors

#: PyJWT's errors, most specific first (several subclass ``DecodeError``/``InvalidTokenError``).
_JWT_REASONS: tuple[tuple[type[jwt.PyJWTError], str, str], ...] = (
    (jwt.ExpiredSignatureError, "expired", "the token has expired"),
    (jwt.ImmatureSignatureError, "not_yet_valid", "the token is not valid yet"),
    (jwt.InvalidAudienceError, "wrong_audience", "the token is for another audience"),
    (jwt.InvalidIssuerError, "wrong_issuer", "the token was issued by an issuer this platform does not trust"),
    (jwt.MissingRequiredClaimError, "missing_claim", "the token lacks a required claim"),
    (jwt.InvalidAlgorithmError, "algorithm_refused", "the token's signing algorithm is not accepted here"),
    (jwt.InvalidSignatureError, "bad_signature", "the token's signature does not verify"),
    (jwt.InvalidKeyError, "bad_key", "the signing key is unusable"),
    (jwt.DecodeError, "malformed", "the token is not a well-formed JWT"),
)


def refused(reason: str, message: str) -> errors.AuthenticationFailed:
    """The error to raise for a refused credential; ``reason`` is a short metric label."""
    return errors.AuthenticationFailed(message, details={"reason": reason})


def reason_of(error: errors.AuthenticationFailed) -> str:
    return error.details.get("reason", "other")


def from_jwt_error(error: jwt.PyJWTError) -> errors.AuthenticationFailed:
    """Translate a PyJWT error; keep the library's detail (it names the claim, not its value)."""
    for kind, reason, message in _JWT_REASONS:
        if isinstance(error, kind):
            return refused(reason, f"{message}: {error}")
    return refused("invalid", f"the token is invalid: {error}")

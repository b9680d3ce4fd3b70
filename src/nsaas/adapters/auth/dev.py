"""Dev mode login: a local signing key and a few personas, so the whole product can be tried offline.

What must stay true:

* Only a process with ``NSAAS_AUTH_MODE=dev`` loads or creates the key (:func:`require_dev_mode`);
  anything else gets :class:`errors.ConfigurationError`. Dev tokens carry their own issuer
  (``nsaas-dev``) and audience, and the authenticator of a non-dev process refuses that issuer
  outright, so a dev token can never open a production API even if someone copied the key.
* The key is an RSA key in ``<data_dir>/dev-signing-key`` (mode 0600), created on first use. Two
  processes starting at once agree on one key: it is written to a temporary file and hard-linked
  into place, which fails if another process got there first, and then that key is read.
* The personas are fixed (ARCHITECTURE.md names them); ``nsaas token --persona`` prints their tokens.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import hmac
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from nsaas import config
from nsaas.adapters.auth import failures
from nsaas.domain import errors, identity

ISSUER = "nsaas-dev"
AUDIENCE = "nsaas-dev"
ALGORITHM = "RS256"
KEY_FILE = "dev-signing-key"
DEFAULT_TTL_SECONDS = 12 * 3600
_SECRET_LABEL = b"nsaas dev platform-token secret v1"


#: The personas are identity data (:mod:`nsaas.domain.identity`); the names stay here for callers.
Persona = identity.Persona
PERSONAS = identity.PERSONAS


def require_dev_mode(settings: config.Settings) -> None:
    if not settings.dev_mode:
        raise errors.ConfigurationError(
            "dev login is only available in dev mode",
            details={"NSAAS_AUTH_MODE": f"is {settings.auth_mode!r}; dev personas need 'dev'"},
        )


def key_path(settings: config.Settings) -> Path:
    return settings.data_dir / KEY_FILE


class DevSigner:
    """Signs and verifies dev persona tokens with the local key."""

    def __init__(self, *, private_key: rsa.RSAPrivateKey) -> None:
        self._private_key = private_key
        self._public_key = private_key.public_key()
        digest = hashes.Hash(hashes.SHA256())
        digest.update(self._public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1))
        self.kid = digest.finalize().hex()[:16]

    @classmethod
    def load_or_create(cls, settings: config.Settings) -> DevSigner:
        """The data directory's dev key, created on first use; refused outside dev mode."""
        require_dev_mode(settings)
        return cls(private_key=_load_or_create_key(key_path(settings)))

    def token_for(self, persona: str, *, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> str:
        found = PERSONAS.get(persona)
        if found is None:
            raise errors.ValidationFailed(
                f"unknown persona {persona!r}", details={"persona": "one of " + ", ".join(PERSONAS)}
            )
        now = dt.datetime.now(dt.UTC)
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": f"dev:{found.name}",
            "name": found.display_name,
            "email": f"{found.name}@dev.nsaas.invalid",
            "roles": sorted(found.roles),
            "iat": now,
            "nbf": now,
            "exp": now + dt.timedelta(seconds=ttl_seconds),
        }
        return jwt.encode(claims, self._private_key, algorithm=ALGORITHM, headers={"kid": self.kid})

    def verify(self, token: str) -> identity.Principal:
        try:
            claims = jwt.decode(
                token,
                self._public_key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=60,
                options={"require": ["exp", "sub", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise failures.from_jwt_error(error) from error
        try:
            return identity.Principal(
                subject=claims["sub"],
                name=str(claims.get("name") or claims["sub"]),
                email=claims.get("email"),
                roles=identity.parse_roles(claims.get("roles") or []),
                source="dev",
            )
        except errors.ValidationFailed as error:
            raise failures.refused("invalid_claims", f"the dev token is unusable: {error.message}") from error

    def platform_secret(self) -> str:
        """An HS256 secret derived from the private key, so dev needs no configured ``jwt-secret``."""
        material = self._private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return hmac.new(material, _SECRET_LABEL, hashlib.sha256).hexdigest()


def persona_tokens(settings: config.Settings) -> Callable[[str], tuple[str, float]]:
    """What the UI signs personas in with: persona name -> (token, expiry as a UNIX time)."""
    signer = DevSigner.load_or_create(settings)

    def mint(persona: str) -> tuple[str, float]:
        return signer.token_for(persona, ttl_seconds=DEFAULT_TTL_SECONDS), time.time() + DEFAULT_TTL_SECONDS

    return mint


def platform_secret(settings: config.Settings) -> str:
    return DevSigner.load_or_create(settings).platform_secret()


def _load_or_create_key(path: Path) -> rsa.RSAPrivateKey:
    if not path.exists():
        _create_key(path)
    try:
        key = _parse_key(path.read_bytes())
    except ValueError as error:
        raise errors.ConfigurationError(
            f"{path} is not a readable dev key; delete it to get a new one", details={"dev_key": str(path)}
        ) from error
    if not isinstance(key, rsa.RSAPrivateKey):
        raise errors.ConfigurationError(f"{path} is not an RSA private key", details={"dev_key": str(path)})
    return key


@functools.lru_cache(maxsize=4)
def _parse_key(pem: bytes) -> PrivateKeyTypes:
    """Parse a PEM key; the same bytes again give the same (immutable) key object.

    Loading an RSA key checks it, which costs tens of milliseconds; the authenticator and the
    persona signer of one process read the same file, and so do tests building many apps.
    """
    return serialization.load_pem_private_key(pem, password=None)


def _create_key(path: Path) -> None:
    """Write a new key without ever exposing a half-written file or replacing another process's key."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        with contextlib.suppress(FileExistsError):  # another process won the race: everyone uses its key
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)

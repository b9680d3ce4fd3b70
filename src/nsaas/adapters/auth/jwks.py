"""Signing keys of an OpenID provider (Azure AD), fetched from its discovery document and cached.

What must stay true:

* Keys are fetched asynchronously (httpx) and reused for ``cache_seconds``; thousands of requests
  cost one fetch.
* Key rotation: a token signed with a ``kid`` we have not seen triggers one refetch, because the
  provider may have published a new key since our last fetch.
* No thundering herd and no amplification: a lock makes one fetch at a time, callers that waited
  for someone else's fetch use its result instead of fetching again, and fetches start at most once
  per ``min_refresh_seconds`` however many unknown ``kid`` values an attacker sends.
* If a refresh fails, the keys we already have keep working (the provider's outage should not
  log everybody out); only with no keys at all is the token refused (``jwks_unavailable``).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
import structlog

from nsaas.adapters.auth import failures

log = structlog.get_logger(__name__)

#: The only signing algorithm accepted from the provider (Azure AD signs access tokens with RS256).
ALGORITHM = "RS256"


@dataclass(frozen=True, slots=True)
class ProviderKeys:
    """One successful fetch: the issuer the provider announces and its usable signing keys by ``kid``."""

    issuer: str
    keys: Mapping[str, jwt.PyJWK]
    fetched_at: float


class JwksCache:
    """The provider's keys, refreshed on expiry and (rate-limited) on an unknown ``kid``."""

    def __init__(
        self,
        *,
        discovery_url: str,
        http: httpx.AsyncClient,
        cache_seconds: float,
        min_refresh_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._discovery_url = discovery_url
        self._http = http
        self._cache_seconds = cache_seconds
        self._min_refresh_seconds = min_refresh_seconds
        self._clock = clock
        self._current: ProviderKeys | None = None
        self._last_attempt = -math.inf
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> tuple[str, jwt.PyJWK]:
        """The issuer and the key for ``kid``; raises ``AuthenticationFailed`` if there is none."""
        current = self._current
        if current is None or kid not in current.keys or self._expired(current):
            current = await self._refresh(seen=current)
        if current is None:
            raise failures.refused("jwks_unavailable", "the identity provider's signing keys are unavailable")
        found = current.keys.get(kid)
        if found is None:
            raise failures.refused("unknown_key", "the token is signed with a key the identity provider does not list")
        return current.issuer, found

    def _expired(self, keys: ProviderKeys) -> bool:
        return self._clock() - keys.fetched_at >= self._cache_seconds

    async def _refresh(self, *, seen: ProviderKeys | None) -> ProviderKeys | None:
        async with self._lock:
            if self._current is not seen:
                return self._current  # another caller refreshed while we waited: use that
            if self._clock() - self._last_attempt < self._min_refresh_seconds:
                return seen  # rate limited: a fetch started moments ago
            self._last_attempt = self._clock()
            try:
                self._current = await self._fetch()
            except (httpx.HTTPError, ValueError) as error:
                log.warning("jwks refresh failed; keeping cached keys", error=str(error), have_keys=seen is not None)
            return self._current

    async def _fetch(self) -> ProviderKeys:
        discovery = await self._get_json(self._discovery_url)
        issuer, jwks_uri = discovery.get("issuer"), discovery.get("jwks_uri")
        if not isinstance(issuer, str) or not isinstance(jwks_uri, str):
            raise ValueError("discovery document lacks issuer or jwks_uri")
        keys = _signing_keys(await self._get_json(jwks_uri))
        if not keys:
            raise ValueError("the JWKS has no usable RS256 signing key")
        log.info("jwks fetched", issuer=issuer, kids=sorted(keys))
        return ProviderKeys(issuer=issuer, keys=keys, fetched_at=self._clock())

    async def _get_json(self, url: str) -> dict[str, Any]:
        response = await self._http.get(url)
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError(f"{url} did not return a JSON object")
        return body


def _signing_keys(jwks: Mapping[str, Any]) -> dict[str, jwt.PyJWK]:
    """RSA signature keys with a ``kid``; anything else in the set (encryption keys, EC) is ignored."""
    keys: dict[str, jwt.PyJWK] = {}
    entries = jwks.get("keys")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict) or entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig":
            continue
        kid = entry.get("kid")
        if not isinstance(kid, str):
            continue
        try:
            keys[kid] = jwt.PyJWK(entry, algorithm=ALGORITHM)
        except jwt.PyJWTError:
            log.warning("skipping unusable key in JWKS", kid=kid)
    return keys

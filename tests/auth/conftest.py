"""Fixtures of the authentication tests: RSA keys, a local identity provider on loopback, an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.auth import modes
from tests.auth import provider as local


@pytest.fixture(scope="session")
def rsa_keys() -> dict[str, rsa.RSAPrivateKey]:
    return {kid: rsa.generate_private_key(public_exponent=65537, key_size=2048) for kid in ("key-1", "key-2", "key-3")}


@pytest.fixture
def provider(rsa_keys: dict[str, rsa.RSAPrivateKey]) -> Iterator[local.LocalProvider]:
    running = local.LocalProvider(rsa_keys)
    running.start()
    yield running
    running.stop()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5.0) as client:
        yield client


@pytest.fixture
def clock() -> modes.FakeClock:
    return modes.FakeClock()

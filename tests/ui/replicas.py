"""Several real UI processes behind a round-robin proxy on loopback, for tests of shared state.

``UiFleet`` starts ``nsaas ui`` processes (Azure AD mode against the local OIDC provider, one
shared database), a fake Platform API that accepts the provider's access tokens, and a proxy that
sends request N to replica N mod 2 and records which replica answered what.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http import server
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from tests.support import oidc
from tests.support.platform import free_port, live_server


def fake_api(provider: oidc.OidcProvider) -> server.ThreadingHTTPServer:
    """The Platform API as far as the journey needs it (``oidc.platform_answer``), as a server."""

    class Handler(oidc.JsonHandler):
        def do_GET(self) -> None:
            token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
            self._json(*oidc.platform_answer(provider, token, self.path.split("?")[0]))

    return server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)


@dataclass
class RoundRobin:
    """An ASGI reverse proxy: request N goes to backend N mod len(backends)."""

    backends: list[str] = field(default_factory=list)
    served: list[tuple[int, str, str, int]] = field(default_factory=list)  # (replica, method, path, status)
    _next: int = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        replica = self._next % len(self.backends)
        self._next += 1
        headers = [(k, v) for k, v in request.headers.raw if k.lower() not in (b"host", b"content-length")]
        async with httpx.AsyncClient(base_url=self.backends[replica]) as client:
            answer = await client.request(
                request.method,
                request.url.path,
                params=request.url.query,
                headers=headers,
                content=await request.body(),
            )
        self.served.append((replica, request.method, request.url.path, answer.status_code))
        drop = {"content-length", "transfer-encoding", "content-encoding", "connection"}
        response = Response(answer.content, status_code=answer.status_code)
        for name, value in answer.headers.multi_items():
            if name.lower() not in drop:
                response.headers.append(name, value)
        await response(scope, receive, send)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, *, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"UI replica exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"UI replica at {url} did not become healthy")


def _start_replica(*, port: int, api: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as stderr:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nsaas.cli.main",
                "ui",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--api-url",
                api,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


@asynccontextmanager
async def ui_fleet(
    *, provider: oidc.OidcProvider, database_url: str, data_dir: Path, replicas: int = 2
) -> AsyncIterator[tuple[str, RoundRobin, list[subprocess.Popen[bytes]]]]:
    """Yields the proxy's URL, the proxy (its ``served`` log) and the replica processes."""
    api = fake_api(provider)
    api_thread = threading.Thread(target=api.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    api_thread.start()
    proxy = RoundRobin()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        async with live_server(proxy) as public:
            env = {
                **os.environ,
                "NSAAS_AUTH_MODE": "azure-ad",
                "NSAAS_AUTH__AZURE_CLIENT_ID": oidc.CLIENT_ID,
                "NSAAS_AUTH__AZURE_DISCOVERY_URL": provider.discovery_url,
                "NSAAS_UI__PUBLIC_URL": public,
                "NSAAS_UI__SESSION_SECRET": secrets.token_urlsafe(40),
                "NSAAS_UI__UI_CLIENT_SECRET": oidc.CLIENT_SECRET,
                "NSAAS_DATABASE_URL": database_url,
                "NSAAS_DATA_DIR": str(data_dir),
                "NSAAS_LOG_JSON": "true",
            }
            host, port = api.server_address[:2]
            for index in range(replicas):
                ui_port = free_port()
                processes.append(
                    _start_replica(
                        port=ui_port, api=f"http://{host!s}:{port}", env=env, log=data_dir / f"ui-{index}.log"
                    )
                )
                proxy.backends.append(f"http://127.0.0.1:{ui_port}")
            for index, (url, process) in enumerate(zip(proxy.backends, processes, strict=True)):
                await asyncio.to_thread(_wait_healthy, url, process, data_dir / f"ui-{index}.log")
            yield public, proxy, processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        api.shutdown()
        api.server_close()

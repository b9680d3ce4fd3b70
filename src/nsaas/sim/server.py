"""The simulator as a server: start and stop it on a loop, or run it in a background thread.

``Simulator`` owns the store, the API, the controllers and a uvicorn server bound to loopback.
Everything runs on one event loop: requests, watches and controllers, which is why no locks are
needed. Code on other threads (sync tests) must not touch ``api`` or ``store`` directly; it uses
HTTP like any client, the thread-safe fault methods, or ``run_in_loop``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import pathlib
import secrets
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import uvicorn
import yaml

from nsaas.sim import api, app, faults, persistence, resources, store, tls
from nsaas.sim.controllers import base, namespaces, quotas, workflows

T = TypeVar("T")
_log = logging.getLogger(__name__)
SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
DEFAULT_TIME_SCALE = 0.05
DEFAULT_SAVE_SECONDS = 2.0


class Simulator:
    """An in-process Kubernetes API server.

    ``time_scale`` multiplies every duration the simulated controllers wait for (Argo retry
    backoff): the default 0.05 turns a 1 s backoff into 50 ms so tests stay fast. With
    ``state_file`` the objects are restored from it at construction, saved to it every
    ``save_seconds`` while they change, and once more on :meth:`stop` (:mod:`nsaas.sim.persistence`).
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        event_window: int = store.DEFAULT_EVENT_WINDOW,
        time_scale: float = DEFAULT_TIME_SCALE,
        state_file: pathlib.Path | None = None,
        save_seconds: float = DEFAULT_SAVE_SECONDS,
    ) -> None:
        self.token = token or secrets.token_urlsafe(32)
        self.registry = resources.Registry()
        self.store = store.Store(event_window=event_window)
        self.api = api.Api(self.registry, self.store)
        self.faults = faults.Faults()
        self.store.listen(self._audit)
        self.time_scale = time_scale
        self._workflows = workflows.WorkflowController(self.api, time_scale=time_scale)
        self._controllers: list[base.Controller] = [
            namespaces.NamespaceController(self.api),
            quotas.QuotaController(self.api),
            self._workflows,
        ]
        self.application = app.Application(
            kube=self.api,
            token=self.token,
            fault_rules=self.faults,
            extra_stats=lambda: {"workflowsRunning": self._workflows.active, "tlsHandshakes": self.tls_handshakes},
        )
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._url = ""
        self._tls: tls.Material | None = None
        #: TLS handshakes accepted so far: one per new client connection, so reconnect churn shows here.
        self.tls_handshakes = 0
        self.state_file = state_file
        self._save_seconds = save_seconds
        self._saver: asyncio.Task[None] | None = None
        if state_file is None or not persistence.restore(self.api, state_file):
            self._seed()

    def _audit(self, event: store.Event) -> None:
        if event.type == "ADDED":
            meta = event.obj.get("metadata", {})
            self.faults.record_creation(f"{event.key}/{meta.get('namespace', '')}/{meta.get('name', '')}")

    def _seed(self) -> None:
        for name in SYSTEM_NAMESPACES:
            self.api.create(resources.BUILTIN[0], "", {"metadata": {"name": name}}, manager="kube-apiserver")
        crd_type = self.registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        assert crd_type is not None
        for custom in resources.PREINSTALLED_CUSTOM:
            self.api.create(crd_type, "", resources.crd_manifest(*custom), manager="nsaas-sim")

    @property
    def url(self) -> str:
        if not self._url:
            raise RuntimeError("the simulator is not running")
        return self._url

    @property
    def running(self) -> bool:
        return bool(self._url)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Bind, start serving and start the controllers; returns once requests are accepted."""
        self._loop = asyncio.get_running_loop()
        # IPPROTO_TCP (not 0) matters: asyncio only sets TCP_NODELAY on accepted sockets of that protocol, and
        # without it every response body waits ~40 ms behind its headers (Nagle plus delayed ACKs).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        material = self._tls = tls.generate(host)
        config = uvicorn.Config(
            self.application,
            lifespan="off",
            http="httptools",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
            timeout_keep_alive=30,
            ssl_context_factory=lambda _config, _default: self._server_context(material),
        )
        self._server = uvicorn.Server(config)
        self._serving = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._serving.done():
                sock.close()
                self._serving.result()
                raise RuntimeError("the simulator's HTTP server stopped during startup")
            await asyncio.sleep(0.005)
        self._url = f"https://{host}:{sock.getsockname()[1]}"
        for controller in self._controllers:
            controller.start()
        if self.state_file is not None:
            self._saver = asyncio.create_task(self._save_periodically(self.state_file))

    def _server_context(self, material: tls.Material) -> ssl.SSLContext:
        context = material.server_context()
        context.sni_callback = self._count_handshake  # called on every ClientHello, with or without SNI
        return context

    def _count_handshake(self, _socket: Any, _server_name: str | None, _context: ssl.SSLContext) -> None:
        self.tls_handshakes += 1

    async def _save_periodically(self, path: pathlib.Path) -> None:
        saved = -1
        while True:
            await asyncio.sleep(self._save_seconds)
            if self.store.resource_version != saved:
                saved = self.store.resource_version
                persistence.save(self.api, path)

    async def stop(self) -> None:
        """End watches, stop the controllers and the server; no task or socket is left behind."""
        if self._saver is not None:
            self._saver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._saver
            self._saver = None
        for controller in self._controllers:
            await controller.stop()
        if self.state_file is not None:
            persistence.save(self.api, self.state_file)
        self.store.close_watchers()
        if self._server is not None and self._serving is not None:
            self._server.should_exit = True
            await self._serving
        self._server = self._serving = None
        self._url = ""

    async def idle(self) -> None:
        """Wait until every controller has drained its queue (tests use it instead of sleeping)."""
        for _ in range(3):
            for controller in self._controllers:
                await controller.drained()

    @property
    def ca_pem(self) -> bytes:
        """The PEM certificate of this run's CA, which clients must trust."""
        if self._tls is None:
            raise RuntimeError("the simulator is not running")
        return self._tls.ca_pem

    def client_ssl_context(self) -> ssl.SSLContext:
        """An SSL context that trusts this server, for clients built by hand (httpx ``verify=``)."""
        if self._tls is None:
            raise RuntimeError("the simulator is not running")
        return self._tls.client_context()

    def kubeconfig(self, *, namespace: str = "default") -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "nsaas-sim",
                    "cluster": {
                        "server": self.url,
                        "certificate-authority-data": base64.b64encode(self.ca_pem).decode(),
                    },
                }
            ],
            "users": [{"name": "nsaas-sim", "user": {"token": self.token}}],
            "contexts": [
                {"name": "nsaas-sim", "context": {"cluster": "nsaas-sim", "user": "nsaas-sim", "namespace": namespace}}
            ],
            "current-context": "nsaas-sim",
            "preferences": {},
        }

    def write_kubeconfig(self, path: str | pathlib.Path) -> pathlib.Path:
        """Write a kubeconfig for this server (token auth), readable only by the owner."""
        target = pathlib.Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch(mode=0o600)
        target.write_text(yaml.safe_dump(self.kubeconfig(), sort_keys=False))
        return target

    # -- thread-safe helpers -----------------------------------------------------------------

    def run_in_loop(self, fn: Callable[[], T]) -> T:
        """Call ``fn`` on the simulator's loop from another thread and return its result."""
        if self._loop is None:
            raise RuntimeError("the simulator is not running")

        async def call() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(timeout=30)

    def wait_idle(self) -> None:
        """``idle()`` from another thread."""
        if self._loop is None:
            raise RuntimeError("the simulator is not running")
        asyncio.run_coroutine_threadsafe(self.idle(), self._loop).result(timeout=30)


@contextlib.contextmanager
def running_in_thread(*, host: str = "127.0.0.1", port: int = 0, **options: Any) -> Iterator[Simulator]:
    """Run a simulator on its own event loop in a daemon thread; stop it cleanly on exit."""
    simulator = Simulator(**options)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="nsaas-sim", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(simulator.start(host, port), loop).result(timeout=30)
        yield simulator
    finally:
        try:
            if simulator.running:
                asyncio.run_coroutine_threadsafe(simulator.stop(), loop).result(timeout=30)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=30)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

"""``make chaos``: the platform as real processes under faults, and a table of what happened.

Starts its own PostgreSQL (initdb into a temporary directory, its own port; the machine's shared
server is never touched), one simulator, two API replicas and two workers, then drives requests
through the APIs while it SIGKILLs a worker and an API replica, stops PostgreSQL and starts it
again, injects cluster faults (500, 429, dropped connections) and a full cluster outage while
ready namespaces are being changed. Clients retry with the same Idempotency-Key, as a real
client would. It then waits for everything to converge and prints one table:

accepted, converged, lost, duplicate creations (from the simulator's write audit), orphans,
max time to converge, and client-visible 5xx by cause. It fails on any loss, duplicate,
orphan, 500 reached from input, or non-convergence. Run: ``python -m tests.chaos.run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.support import workers

REQUESTS = int(os.environ.get("NSAAS_CHAOS_REQUESTS", "30"))
CONVERGE_SECONDS = float(os.environ.get("NSAAS_CHAOS_CONVERGE_SECONDS", "240"))
LABEL = "platform.io"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise SystemExit("chaos: PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    return Path(found[-1]).parent


class Postgres:
    """A throwaway PostgreSQL server: initdb in a temp dir, trust auth, loopback, its own port."""

    def __init__(self, root: Path) -> None:
        self.bin = _pg_bin()
        self.data = root / "pg"
        self.port = _port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            self.as_user = ["runuser", "-u", "postgres", "--"]
            root.chmod(0o755)

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def init(self) -> None:
        self.data.mkdir()
        if self.as_user:
            shutil.chown(self.data, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l", str(self.data / "log"), "start"
        )

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        handle = self.log.open("ab")
        self.popen = subprocess.Popen(self.argv, env=self.env, stdout=handle, stderr=subprocess.STDOUT)
        handle.close()

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait()

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Tally:
    accepted: dict[str, str] = field(default_factory=dict)  # name -> request id
    accepted_at: dict[str, float] = field(default_factory=dict)
    five_xx: Counter[str] = field(default_factory=Counter)
    input_500: int = 0
    injected: list[str] = field(default_factory=list)
    #: Ready namespaces changed during the cluster outage: name -> status code of the PATCH.
    changed_in_outage: dict[str, int] = field(default_factory=dict)
    #: Their states seen while the outage lasted (see ``run`` for what is allowed).
    outage_states: Counter[str] = field(default_factory=Counter)


class Chaos:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.pg = Postgres(root)
        self.sim_port = _port()
        self.api_ports = [_port(), _port()]
        self.worker_ports = [_port(), _port()]
        self.kubeconfig = root / "kubeconfig.yaml"
        self.data_dir = root / "data"
        self.processes: list[Process] = []
        self.tally = Tally()
        self.run_id = uuid.uuid4().hex[:6]

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "NSAAS_DATABASE_URL": self.pg.url,
            "NSAAS_KUBECONFIG": str(self.kubeconfig),
            "NSAAS_AUTH_MODE": "dev",
            "NSAAS_DATA_DIR": str(self.data_dir),
            "NSAAS_LOG_JSON": "true",
            "NSAAS_LOG_LEVEL": os.environ.get("NSAAS_CHAOS_LOG_LEVEL", "WARNING"),
            # The production lease (30 s, heartbeat-extended) and attempt budget (8). Quicker than in
            # production: resync (5 s, so the run sees several) and the backoff cap (5 s, not 60 s).
            "NSAAS_ENGINES__RESYNC_SECONDS": "5",
            "NSAAS_ENGINES__BACKOFF_MAX_SECONDS": "5",
            "NSAAS_AUTH__RATE_LIMIT_PER_MINUTE": "100000",
            "NSAAS_AUTH__CREATE_LIMIT": "100000",
            "NSAAS_POLICY__TEAM_NAMESPACE_CAP": "100000",
        }

    def _process(self, name: str, *args: str) -> Process:
        process = Process(name, [sys.executable, "-m", "nsaas.cli.main", *args], self.env(), self.root / f"{name}.log")
        self.processes.append(process)
        return process

    async def start(self) -> None:
        self.pg.init()
        self.pg.start()
        self.data_dir.mkdir()
        sim = self._process("sim", "sim", "--port", str(self.sim_port), "--kubeconfig", str(self.kubeconfig))
        sim.start()
        await _until(self.kubeconfig.exists, "simulator kubeconfig", 120)
        upgrade = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "nsaas.cli.main",
            "db",
            "upgrade",
            env=self.env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await upgrade.communicate()
        assert upgrade.returncode == 0, out.decode()
        await self._bootstrap_cluster()
        for index, port in enumerate(self.api_ports):
            self._process(f"api{index}", "api", "--port", str(port), "--no-worker", "--host", "127.0.0.1").start()
        for index, port in enumerate(self.worker_ports):
            self._process(
                f"worker{index}", "worker", "--metrics-port", str(port), "--metrics-host", "127.0.0.1"
            ).start()
        for port in self.api_ports:
            await _until_http(f"http://127.0.0.1:{port}/health/live", 180)

    async def _bootstrap_cluster(self) -> None:
        from nsaas import config, devkit
        from nsaas.adapters.kube import cluster as kube

        settings = config.Settings(auth_mode="dev", kubeconfig=str(self.kubeconfig), data_dir=self.data_dir)
        cluster = kube.Cluster.from_settings(settings)
        try:
            await devkit.bootstrap_cluster(cluster, settings)
        finally:
            await cluster.aclose()

    def token(self) -> str:
        from nsaas import config
        from nsaas.adapters.auth import dev

        settings = config.Settings(auth_mode="dev", data_dir=self.data_dir)
        return dev.DevSigner.load_or_create(settings).token_for("platform-admin")

    def by_name(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)

    def _sim_client(self) -> httpx.AsyncClient:
        config = yaml.safe_load(self.kubeconfig.read_text())
        token = config["users"][0]["user"]["token"]
        return httpx.AsyncClient(
            base_url=f"https://127.0.0.1:{self.sim_port}",
            headers={"Authorization": f"Bearer {token}"},
            verify=False,  # the local simulator signs its own certificate
        )

    async def sim_faults(self, rules: list[dict[str, Any]]) -> None:
        async with self._sim_client() as client:
            (await client.post("/_sim/faults", json={"rules": rules, "seed": 7})).raise_for_status()

    async def sim_stats(self) -> dict[str, Any]:
        async with self._sim_client() as client:
            answer = await client.get("/_sim/stats")
            answer.raise_for_status()
            return dict(answer.json())

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        with contextlib.suppress(Exception):
            self.pg.stop()


async def _until(check: Any, what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"chaos: {what} not reached in {seconds}s")
        await asyncio.sleep(0.2)


async def _until_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=2) as client:
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"chaos: {url} not up in {seconds}s")
            await asyncio.sleep(0.3)


class Client:
    """A well-behaved client: same Idempotency-Key on every retry, next replica after a failure."""

    def __init__(self, chaos: Chaos, token: str) -> None:
        self.chaos = chaos
        self.headers = {"Authorization": f"Bearer {token}"}
        self.http = httpx.AsyncClient(timeout=20)
        self.turn = 0

    async def call(self, method: str, path: str, *, retry: bool = True, **kwargs: Any) -> httpx.Response | None:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        for _ in range(200 if retry else 1):
            port = self.chaos.api_ports[self.turn % 2]
            try:
                answer = await self.http.request(method, f"http://127.0.0.1:{port}{path}", headers=headers, **kwargs)
            except httpx.HTTPError as exc:
                self.chaos.tally.five_xx[f"connection ({type(exc).__name__})"] += 1
                self.turn += 1
                await asyncio.sleep(0.3)
                continue
            if (
                answer.status_code < 500
                and answer.status_code != 429
                and answer.json().get("error") != "idempotency_key_in_use"
            ):
                return answer
            cause = f"{answer.status_code} {answer.json().get('error', '?')}"
            if answer.status_code >= 500:
                self.chaos.tally.five_xx[cause] += 1
            self.turn += 1
            await asyncio.sleep(min(float(answer.headers.get("Retry-After", "1")), 2.0))
        return None


def _body(name: str) -> dict[str, Any]:
    return {
        "namespaceName": name,
        "team": "team-a",
        "environment": "development",
        "resourceTier": "small",
        "networkPolicy": "isolated",
        "features": ["backup-enabled"],
        "description": "chaos",
    }


async def _create(client: Client, name: str) -> None:
    answer = await client.call(
        "POST", "/api/platform/namespaces/request", json=_body(name), headers={"Idempotency-Key": f"chaos-{name}"}
    )
    if answer is not None and answer.status_code == 202:
        client.chaos.tally.accepted[name] = answer.json()["data"]["requestId"]
        client.chaos.tally.accepted_at[name] = time.monotonic()


async def _hostile(client: Client) -> None:
    """Bad input during the run: every answer must be a 4xx, never a 500."""
    probes: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/api/platform/namespaces/request", {"json": {**_body("nul-x"), "description": "a\x00b"}}),
        ("GET", "/api/platform/namespaces/a%00b", {}),
        ("GET", "/api/platform/namespaces", {"params": {"q": "\x00"}}),
        ("POST", "/api/platform/namespaces/request", {"json": _body("ua-x"), "headers": {"User-Agent": "u" * 4000}}),
    ]
    for method, path, kwargs in probes:
        answer = await client.call(method, path, retry=False, **kwargs)
        if answer is not None and answer.status_code == 500:
            client.chaos.tally.input_500 += 1
    with contextlib.suppress(Exception):
        # The long user agent above may have created a namespace: it is accepted input.
        found = await client.call("GET", "/api/platform/namespaces/ua-x", retry=False)
        if found is not None and found.status_code == 200:
            client.chaos.tally.accepted["ua-x"] = found.json()["data"]["requestId"]
            client.chaos.tally.accepted_at["ua-x"] = time.monotonic()


async def _faults(chaos: Chaos, client: Client, names: list[str]) -> None:
    """The fault schedule, run alongside the load."""
    log = chaos.tally.injected
    await asyncio.sleep(4)
    log.append("SIGKILL worker0")
    chaos.by_name("worker0").kill()
    chaos.by_name("worker0").start()
    await asyncio.sleep(3)
    log.append("SIGKILL api0")
    chaos.by_name("api0").kill()
    chaos.by_name("api0").start()
    await asyncio.sleep(3)
    log.append("PostgreSQL stopped for 10 s")
    chaos.pg.stop()
    await asyncio.sleep(10)
    chaos.pg.start()
    await asyncio.sleep(3)
    log.append("cluster faults: 20% 500/429/drop for 8 s")
    await chaos.sim_faults(
        [
            {"verb": "*", "resource": "*", "error": "500", "rate": 0.07},
            {"verb": "*", "resource": "*", "error": "429", "rate": 0.07},
            {"verb": "*", "resource": "*", "error": "drop", "rate": 0.07},
        ]
    )
    await asyncio.sleep(8)
    await chaos.sim_faults([])
    log.append("SIGKILL worker1")
    chaos.by_name("worker1").kill()
    chaos.by_name("worker1").start()
    await _until(lambda: sum(1 for n in names if n in chaos.tally.accepted) >= len(names) // 2, "half accepted", 120)
    ready: list[str] = []
    for _ in range(90):  # the outage must hit ready namespaces being changed
        ready = await _ready_names(client, [n for n in names if n in chaos.tally.accepted])
        if len(ready) >= 3:
            break
        await asyncio.sleep(2)
    # Restarted workers take a while to come back on a loaded machine; the outage is about the
    # cluster being down while the platform runs, so both workers must be passing again first.
    await _workers_passing(chaos)
    log.append(f"cluster outage (every call 500) for 10 s while {min(len(ready), 5)} ready namespaces change")
    await chaos.sim_faults([{"verb": "*", "resource": "*", "error": "500", "rate": 1.0}])
    for name in ready[:5]:
        answer = await client.call("PATCH", f"/api/platform/namespaces/{name}", json={"resourceTier": "medium"})
        chaos.tally.changed_in_outage[name] = answer.status_code if answer is not None else 0
    outage_ends = time.monotonic() + 10
    while time.monotonic() < outage_ends:
        for name in chaos.tally.changed_in_outage:
            answer = await client.call("GET", f"/api/platform/namespaces/{name}", retry=False)
            if answer is not None and answer.status_code == 200:
                data = answer.json()["data"]
                chaos.tally.outage_states[data["status"] + (" (change pending)" if data["changePending"] else "")] += 1
        await asyncio.sleep(1)
    await chaos.sim_faults([])


async def _changes_applied(client: Client, names: dict[str, int]) -> list[str]:
    """The namespaces changed during the outage whose change is not in effect after convergence."""
    missing = []
    for name in names:
        answer = await client.call("GET", f"/api/platform/namespaces/{name}", retry=False)
        if answer is None or answer.status_code != 200 or answer.json()["data"]["tier"] != "medium":
            missing.append(name)
    return missing


async def _workers_passing(chaos: Chaos, seconds: float = 240) -> None:
    """Wait until every worker's last claiming pass (its metric) is under 5 s old."""
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=2) as client:
        for port in chaos.worker_ports:
            while True:
                passed = await workers.last_pass(client, port)
                if passed is not None and time.time() - passed < 5:
                    break
                if time.monotonic() > deadline:
                    raise AssertionError(f"chaos: the worker on port {port} is not passing after {seconds}s")
                await asyncio.sleep(0.5)


async def _ready_names(client: Client, names: list[str]) -> list[str]:
    ready = []
    for name in names:
        answer = await client.call("GET", f"/api/platform/namespaces/{name}", retry=False)
        if answer is not None and answer.status_code == 200 and answer.json()["data"]["status"] == "ready":
            ready.append(name)
    return ready


async def _load(client: Client, names: list[str]) -> None:
    pace = 30.0 / max(len(names), 1)
    tasks = []
    for name in names:
        tasks.append(asyncio.create_task(_create(client, name)))
        await asyncio.sleep(pace)
    await asyncio.gather(*tasks)


async def _converge(client: Client) -> tuple[dict[str, str], dict[str, float]]:
    """Wait until every accepted request is ready with nothing pending; returns the last states."""
    tally = client.chaos.tally
    deadline = time.monotonic() + CONVERGE_SECONDS
    converged: dict[str, float] = {}
    states: dict[str, str] = {}
    while True:
        for name in tally.accepted:
            if name in converged:
                continue
            answer = await client.call("GET", f"/api/platform/namespaces/{name}", retry=False)
            if answer is None or answer.status_code != 200:
                states[name] = "missing" if answer is not None and answer.status_code == 404 else "?"
                continue
            data = answer.json()["data"]
            states[name] = data["status"] + (" (change pending)" if data.get("changePending") else "")
            if data["status"] == "ready" and not data.get("changePending") and not data["cluster"].get("missing"):
                converged[name] = time.monotonic()
        if len(converged) == len(tally.accepted) or time.monotonic() > deadline:
            return states, converged
        await asyncio.sleep(1)


async def _orphans(chaos: Chaos, accepted: dict[str, str]) -> list[str]:
    from nsaas import config
    from nsaas.adapters.kube import cluster as kube

    settings = config.Settings(auth_mode="dev", kubeconfig=str(chaos.kubeconfig), data_dir=chaos.data_dir)
    cluster = kube.Cluster.from_settings(settings)
    try:
        managed = await cluster.list_namespaces(labels={f"{LABEL}/managed": "true"})
    finally:
        await cluster.aclose()
    known = set(accepted.values())
    return [ns.name for ns in managed if ns.labels.get(f"{LABEL}/request-id") not in known]


def _table(rows: list[tuple[str, str]]) -> str:
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"| {k.ljust(width)} | {v}" for k, v in rows)


async def run(root: Path) -> int:
    chaos = Chaos(root)
    started = time.monotonic()
    try:
        await chaos.start()
        client = Client(chaos, chaos.token())
        names = [f"chaos-{chaos.run_id}-{i}" for i in range(REQUESTS)]
        load = asyncio.create_task(_load(client, names))
        await asyncio.gather(load, _faults(chaos, client, names), _hostile(client))
        states, converged = await _converge(client)
        unapplied = await _changes_applied(client, tally_changed := chaos.tally.changed_in_outage)
        stats = await chaos.sim_stats()
        orphans = await _orphans(chaos, chaos.tally.accepted)
    finally:
        chaos.stop()
    tally = chaos.tally
    creations = {k: v for k, v in stats.get("creations", {}).items() if v > 1}
    lost = [n for n, s in states.items() if s == "missing"]
    not_converged = {n: s for n, s in states.items() if n not in converged}
    worst = max((converged[n] - tally.accepted_at[n] for n in converged), default=0.0)
    five = ", ".join(f"{k}: {v}" for k, v in sorted(tally.five_xx.items())) or "none"
    outage = ", ".join(f"{k}: {v}" for k, v in sorted(tally.outage_states.items()))
    rows = [
        ("faults injected", "; ".join(tally.injected)),
        ("requests sent", str(REQUESTS + 1)),
        ("accepted", str(len(tally.accepted))),
        ("converged (ready, nothing pending)", str(len(converged))),
        ("lost", str(len(lost))),
        ("duplicate creations (simulator audit)", str(len(creations)) + (f" {creations}" if creations else "")),
        ("object writes audited", str(sum(stats.get("writes", {}).values()))),
        ("orphans", str(len(orphans)) + (f" {orphans}" if orphans else "")),
        ("max time to converge", f"{worst:.1f} s"),
        ("client-visible 5xx by cause", five),
        ("500 from bad input", str(tally.input_500)),
        ("changed during the cluster outage", f"{len(tally_changed)} (PATCH answers {sorted(tally_changed.values())})"),
        ("their states during the outage", outage or "not seen"),
        ("changes not in effect after", str(unapplied) if unapplied else "none"),
        ("not converged", str(not_converged) if not_converged else "none"),
        ("wall time", f"{time.monotonic() - started:.0f} s"),
    ]
    print(_table(rows), flush=True)
    checks = {
        "a request was lost": bool(lost),
        "an object was created twice": bool(creations),
        "an orphan namespace is left": bool(orphans),
        "a request did not converge": bool(not_converged),
        "bad input reached a 500": bool(tally.input_500),
        "a change made during the cluster outage is not in effect": bool(unapplied),
        "no ready namespace was changed during the cluster outage": not tally_changed,
        "a change during the cluster outage was not accepted": any(c != 200 for c in tally_changed.values()),
        # Before the worker's first failed try a changed namespace shows ``updating``; after it,
        # ready with the change pending. Anything else (``failed`` above all) is the defect.
        "no namespace showed its change pending during the outage": "ready (change pending)" not in tally.outage_states,
        "a namespace changed during the outage left ready/updating": not set(tally.outage_states)
        <= {"updating", "ready (change pending)"},
        "a client saw 500 internal_error": any(k.startswith("500 internal_error") for k in tally.five_xx),
        "not every request was accepted": len(tally.accepted) < REQUESTS,
    }
    failures = [reason for reason, failed in checks.items() if failed]
    print(f"chaos: FAILED: {'; '.join(failures)}" if failures else "chaos: passed", flush=True)
    return 1 if failures else 0


def _tails(root: Path, lines: int = 25) -> None:
    """After a failure: the end of every process's log, so a CI log alone says what went wrong."""
    for log in sorted(root.glob("*.log")):
        tail = log.read_text(errors="replace").splitlines()[-lines:]
        print(f"--- {log.name} (last {len(tail)} lines)", *tail, sep="\n", flush=True)


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="nsaas-chaos-"))
    code = 1
    try:
        code = asyncio.run(run(root))
    finally:
        if code:
            _tails(root)
        if os.environ.get("NSAAS_CHAOS_KEEP"):
            print(f"chaos: logs kept in {root}", flush=True)
        else:
            shutil.rmtree(root, ignore_errors=True)
    return code


if __name__ == "__main__":
    raise SystemExit(main())

"""A CI job's ephemeral namespace: request one with a TTL, wait until it is ready, print its name.

Run in a pipeline with a platform service token (``nsaas token --subject ci --role team:<team>:developer``
minted by the platform team, kept in the CI secret store)::

    export NSAAS_API_URL=https://nsaas.example.com NSAAS_TOKEN=...
    NAMESPACE=$(python ephemeral_namespace.py --team team-a --ttl 4h)
    nsaas ns connect "$NAMESPACE" --write-kubeconfig "$KUBECONFIG"
    kubectl --context "$NAMESPACE" apply -f ./manifests/

The namespace is decommissioned by the platform when the TTL runs out, even if the job crashes,
so a pipeline never leaks namespaces. Exit codes: 0 ready (name on stdout), 1 failed or rejected
(reason on stderr), 2 refused by the API (every failing field on stderr), 3 timed out.
Only ``httpx`` is needed; the request body is the API's (see ``/api/openapi.json``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid

import httpx

SETTLED = {"ready": 0, "failed": 1, "rejected": 1, "cancelled": 1}


def request_namespace(client: httpx.Client, *, team: str, ttl: str, tier: str, name: str) -> str:
    """Submit the request (idempotent: a retried job reuses the same key) and return its status URL."""
    body = {
        "namespaceName": name,
        "team": team,
        "environment": "development",
        "resourceTier": tier,
        "networkPolicy": "isolated",
        "ttl": ttl,
        "description": f"CI job {os.environ.get('CI_JOB_ID', 'local')}",
    }
    answer = client.post("/api/platform/namespaces/request", json=body, headers={"Idempotency-Key": name})
    if answer.status_code != 202:
        error = answer.json()
        details = "".join(f"\n  {field}: {text}" for field, text in error.get("details", {}).items())
        print(f"refused ({answer.status_code}): {error.get('message')}{details}", file=sys.stderr)
        sys.exit(2)
    status_url: str = answer.json()["data"]["statusUrl"]
    return status_url


def wait_until_settled(client: httpx.Client, status_url: str, *, timeout: float) -> tuple[str, str]:
    """Poll the request's status until it settles; (status, reason)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = client.get(status_url).raise_for_status().json()["data"]
        if data["status"] in SETTLED:
            return data["status"], data.get("lastError") or data["statusReason"]
        time.sleep(1.0)
    return "timeout", f"not settled after {timeout:.0f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--team", required=True)
    parser.add_argument("--ttl", default="4h", help='how long it may live, e.g. "4h" or "2d"')
    parser.add_argument("--tier", default="small")
    parser.add_argument("--name", help="namespace name (default: <team>-ci-<random>)")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    name = args.name or f"{args.team}-ci-{uuid.uuid4().hex[:8]}"
    api = os.environ.get("NSAAS_API_URL", "http://127.0.0.1:3000")
    headers = {"Authorization": f"Bearer {os.environ['NSAAS_TOKEN']}"}
    with httpx.Client(base_url=api, headers=headers, timeout=30) as client:
        status_url = request_namespace(client, team=args.team, ttl=args.ttl, tier=args.tier, name=name)
        status, reason = wait_until_settled(client, status_url, timeout=args.timeout)
    if status == "ready":
        print(name)
        return 0
    print(f"{name} is {status}: {reason}", file=sys.stderr)
    return 3 if status == "timeout" else SETTLED[status]


if __name__ == "__main__":
    sys.exit(main())

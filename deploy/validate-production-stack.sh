#!/usr/bin/env bash
# Validate the nsaas deployment stack.
#   ./deploy/validate-production-stack.sh            offline: build every overlay, schema-validate
#                                                    built-in kinds, check custom resources, pod
#                                                    security, secret references, secret-store isolation,
#                                                    RBAC, metric names and selector labels (with
#                                                    --metrics-url URL..., a sample of each in live /metrics),
#                                                    runbook links, promtool check + unit tests
#   ./deploy/validate-production-stack.sh --cluster  post-deployment checks against the current
#                                                    kubectl context (the seed's list), then each
#                                                    component's validate-deployment.sh --cluster
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"

if [ "${1:-}" != "--cluster" ]; then
  python="${PYTHON:-$repo/.venv/bin/python}"
  command -v promtool >/dev/null || { echo "promtool missing: apt-get install prometheus (make deploy-validate does)"; exit 2; }
  cd "$repo" && exec "$python" -m scripts.deploycheck --deploy "$here" "$@"
fi

status=0
for component in external-secrets argo platform-api platform-ui monitoring; do
  echo "== $component"
  "$here/$component/validate-deployment.sh" --cluster || status=1
done
exit "$status"

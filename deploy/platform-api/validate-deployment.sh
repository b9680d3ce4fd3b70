#!/usr/bin/env bash
# Validate the platform-api component.
#   ./deploy/platform-api/validate-deployment.sh            offline: the whole stack's offline validation
#                                                 (components are only meaningful built together)
#   ./deploy/platform-api/validate-deployment.sh --cluster  post-deployment checks with the current kubectl context
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "${1:-}" != "--cluster" ]; then exec "$here/../validate-production-stack.sh" "$@"; fi
# shellcheck source=../lib-cluster-checks.sh
source "$here/../lib-cluster-checks.sh"
check "API pods ready" pods_ready platform-system app.kubernetes.io/name=platform-api
check "reconciler pods ready" pods_ready platform-system app.kubernetes.io/name=platform-worker
check "API /health answers 200" http_ok platform-system platform-api 3000 /health
check "API /health/ready answers 200" http_ok platform-system platform-api 3000 /health/ready
check "API SA may create namespaces" can_i system:serviceaccount:platform-system:platform-api create namespaces ""
check "API SA is not cluster-admin" cannot_i system:serviceaccount:platform-system:platform-api create clusterrolebindings ""
check "guardrail policy bound" kubectl get validatingadmissionpolicybinding nsaas-protect-managed-objects
finish

#!/usr/bin/env bash
# Validate the platform-ui component.
#   ./deploy/platform-ui/validate-deployment.sh            offline: the whole stack's offline validation
#                                                 (components are only meaningful built together)
#   ./deploy/platform-ui/validate-deployment.sh --cluster  post-deployment checks with the current kubectl context
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "${1:-}" != "--cluster" ]; then exec "$here/../validate-production-stack.sh" "$@"; fi
# shellcheck source=../lib-cluster-checks.sh
source "$here/../lib-cluster-checks.sh"
check "UI pods ready" pods_ready platform-system app.kubernetes.io/name=platform-ui
check "UI /healthz answers 200" http_ok platform-system platform-ui 8080 /healthz
check "gateway present" kubectl -n platform-system get gateway platform
finish

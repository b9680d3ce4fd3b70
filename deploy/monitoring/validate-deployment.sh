#!/usr/bin/env bash
# Validate the monitoring component.
#   ./deploy/monitoring/validate-deployment.sh            offline: the whole stack's offline validation
#                                                 (components are only meaningful built together)
#   ./deploy/monitoring/validate-deployment.sh --cluster  post-deployment checks with the current kubectl context
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "${1:-}" != "--cluster" ]; then exec "$here/../validate-production-stack.sh" "$@"; fi
# shellcheck source=../lib-cluster-checks.sh
source "$here/../lib-cluster-checks.sh"
check "PrometheusRule present" kubectl -n platform-system get prometheusrule nsaas-platform
check "ServiceMonitors present" kubectl -n platform-system get servicemonitor platform-api platform-worker platform-ui
check "dashboards present" kubectl -n monitoring get configmap -l grafana_dashboard=1 -o name
finish

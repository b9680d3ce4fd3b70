#!/usr/bin/env bash
# Validate the argo component.
#   ./deploy/argo/validate-deployment.sh            offline: the whole stack's offline validation
#                                                 (components are only meaningful built together)
#   ./deploy/argo/validate-deployment.sh --cluster  post-deployment checks with the current kubectl context
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "${1:-}" != "--cluster" ]; then exec "$here/../validate-production-stack.sh" "$@"; fi
# shellcheck source=../lib-cluster-checks.sh
source "$here/../lib-cluster-checks.sh"
check "workflow controller ready" pods_ready argo app.kubernetes.io/component=workflow-controller
check "template nsaas-provision-namespace present" kubectl -n argo get workflowtemplate nsaas-provision-namespace
check "template nsaas-decommission-namespace present" kubectl -n argo get workflowtemplate nsaas-decommission-namespace
check "platform-api may create workflows in argo" can_i system:serviceaccount:platform-system:platform-api create workflows argo
check "platform-api may not create workflows elsewhere" cannot_i system:serviceaccount:platform-system:platform-api create workflows default
check "workflow SA may create namespaces" can_i system:serviceaccount:argo:nsaas-workflow create namespaces ""
check "workflow SA may not read secrets" cannot_i system:serviceaccount:argo:nsaas-workflow get secrets kube-system
finish

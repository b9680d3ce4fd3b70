#!/usr/bin/env bash
# Validate the external-secrets component.
#   ./deploy/external-secrets/validate-deployment.sh            offline: the whole stack's offline validation
#                                                 (components are only meaningful built together)
#   ./deploy/external-secrets/validate-deployment.sh --cluster  post-deployment checks with the current kubectl context
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ "${1:-}" != "--cluster" ]; then exec "$here/../validate-production-stack.sh" "$@"; fi
# shellcheck source=../lib-cluster-checks.sh
source "$here/../lib-cluster-checks.sh"
check "operator pods ready" pods_ready external-secrets-system app.kubernetes.io/name=external-secrets
for store in platform-keyvault tenant-keyvault; do
  check "ClusterSecretStore $store is valid" bash -c "[ \"\$(kubectl get clustersecretstore $store -o jsonpath={.status.conditions[0].status})\" = True ]"
done
check "platform-api-secrets synced" externalsecret_synced platform-system platform-api-secrets
check "platform-ui-secrets synced" externalsecret_synced platform-system platform-ui-secrets
check "argo-secrets synced" externalsecret_synced argo argo-secrets
finish

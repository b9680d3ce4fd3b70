# Shared helpers of the --cluster checks (sourced by validate-production-stack.sh and each
# component's validate-deployment.sh). Each check prints PASS/FAIL and counts failures.
FAILURES=0
pass() { printf 'PASS  %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; FAILURES=$((FAILURES + 1)); }

check() {  # check "description" command...
  local what="$1"; shift
  if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}

pods_ready() {  # pods_ready NAMESPACE SELECTOR
  kubectl wait --for=condition=Ready pod -n "$1" -l "$2" --timeout=60s
}

externalsecret_synced() {  # externalsecret_synced NAMESPACE NAME
  [ "$(kubectl get externalsecret "$2" -n "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = "True" ]
}

can_i() {  # can_i AS VERB RESOURCE NAMESPACE
  [ "$(kubectl auth can-i "$2" "$3" --as="$1" -n "$4")" = "yes" ]
}

cannot_i() {  # cannot_i AS VERB RESOURCE NAMESPACE
  ! can_i "$@"
}

http_ok() {  # http_ok NAMESPACE SERVICE PORT PATH: through a short-lived port-forward (no curl in the image)
  local port=$((20000 + RANDOM % 10000)) pid status
  kubectl -n "$1" port-forward "svc/$2" "$port:$3" >/dev/null 2>&1 &
  pid=$!
  sleep 2
  status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$4" || true)
  kill "$pid" 2>/dev/null || true
  [ "$status" = "200" ]
}

finish() {
  if [ "$FAILURES" -gt 0 ]; then echo "$FAILURES check(s) failed"; exit 1; fi
  echo "all checks passed"
}

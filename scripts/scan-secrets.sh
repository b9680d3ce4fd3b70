#!/usr/bin/env bash
# Scan the repository for committed secrets with detect-secrets against the reviewed baseline.
#   scripts/scan-secrets.sh            fail if anything new (not in .secrets.baseline) is found
#   scripts/scan-secrets.sh --update   refresh the baseline after reviewing every new finding
#                                      (then `detect-secrets audit .secrets.baseline` to mark them)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${DETECT_SECRETS_BIN:-.venv/bin}"
files() { git ls-files -z | xargs -0 -n1 | grep -v -E '^(uv\.lock|\.secrets\.baseline)$'; }

if [ "${1:-}" = "--update" ]; then
  # shellcheck disable=SC2046
  "$bin/detect-secrets" scan --baseline .secrets.baseline $(files)
  echo "baseline updated: review with $bin/detect-secrets audit .secrets.baseline"
  exit 0
fi
# detect-secrets-hook exits 1 when a file holds a secret that the baseline does not, and 3 when it
# only refreshed line numbers in the baseline. It runs against a scratch copy so a check never
# rewrites the committed baseline (and so 3 is not a failure): run --update to refresh it.
scratch="$(mktemp)"
trap 'rm -f "$scratch"' EXIT
cp .secrets.baseline "$scratch"
status=0
files | tr '\n' '\0' | xargs -0 "$bin/detect-secrets-hook" --baseline "$scratch" || status=$?
# xargs reports any non-zero child status as 123; tell "only refreshed" (3) apart by re-running once.
if [ "$status" -ne 0 ]; then
  status=0
  files | tr '\n' '\0' | xargs -0 "$bin/detect-secrets-hook" --baseline "$scratch" || status=$?
fi
if [ "$status" -ne 0 ]; then
  echo "secrets outside the reviewed baseline (see above); if they are false positives, mark the line" >&2
  echo "with '# pragma: allowlist secret' or run scripts/scan-secrets.sh --update and audit the baseline" >&2
  exit 1
fi
echo "no secrets outside the reviewed baseline"

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
# detect-secrets-hook exits non-zero when a file holds a secret that the baseline does not.
files | tr '\n' '\0' | xargs -0 "$bin/detect-secrets-hook" --baseline .secrets.baseline
echo "no secrets outside the reviewed baseline"

#!/usr/bin/env bash
# Regenerates shared/gen from proto/ and fails when the committed stubs differ: they are
# never hand-edited, and a proto change must come with its stubs.
set -euo pipefail
cd "$(dirname "$0")/.."
npx buf lint
npx buf generate
if ! git diff --exit-code --stat -- shared/gen || [ -n "$(git status --porcelain -- shared/gen)" ]; then
  echo "shared/gen is stale: run 'npm run proto' and commit the result" >&2
  exit 1
fi
echo "shared/gen matches proto/"

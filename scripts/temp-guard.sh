#!/usr/bin/env bash
# Run a command (`make test`'s suites) with a private temp folder, and fail when it leaves anything there.
#
#   scripts/temp-guard.sh COMMAND [ARGS...]
#
# Tests must remove what they create (captures, reports, CA keys, run logs), passed or failed; this is the check.
# The folder is removed afterwards either way, so the real temp folder is as it was. Exit: the command's status,
# or 1 when it passed but left something behind. tsx's compile cache (tsx-<uid>) is the test tooling's, not a test's.
set -uo pipefail

guard=$(mktemp -d "${TMPDIR:-/tmp}/headroom-make-test.XXXXXX") || exit 1
TMPDIR="$guard" "$@"
status=$?
left=$(ls -A "$guard" | grep -vx 'tsx-[0-9]*')
if [[ -n "$left" ]]; then
  echo "temp-guard: FAILED: the tests left these in the temp folder (TMPDIR=$guard):" >&2
  sed 's/^/  /' <<<"$left" >&2
  (( status == 0 )) && status=1
fi
rm -rf "$guard"
exit "$status"

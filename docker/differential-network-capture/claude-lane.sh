#!/usr/bin/env bash
# Run Claude Code in one lane: the entry point of the claude-direct / claude-headroom containers and of the
# local runner (scripts/src/lanes), so both run the client the same way.
#
#   CLAUDE_COMMAND     run exactly this shell command (e.g. claude -p "read README.md and summarize it")
#   CLAUDE_PROMPT      otherwise: claude -p "$CLAUDE_PROMPT" $CLAUDE_LANE_ARGS
#   CLAUDE_LANE_ARGS   the lane's own flags (Compose fills it from CLAUDE_DIRECT_ARGS / CLAUDE_HEADROOM_ARGS)
#   NODE_EXTRA_CA_CERTS  the lane mitmproxy's CA; waited for (CA_WAIT_SECONDS, default 60) since that
#                      mitmproxy writes it when it starts
#   CLAUDE_PROJECT_SEED  a folder copied into the working directory first (the offline overlay: a fresh, writable
#                      copy of the demo project, so the scripted session's Edit changes the copy only)
set -euo pipefail

lane="${CAPTURE_LANE:-lane}"
fail() { echo "claude-lane ($lane): $*" >&2; exit 2; }

if [[ -z "${ANTHROPIC_API_KEY:-}" && -z "${ANTHROPIC_AUTH_TOKEN:-}" ]]; then
  fail "ANTHROPIC_API_KEY is not set: export ANTHROPIC_API_KEY=... before running this lane"
fi

if [[ -n "${NODE_EXTRA_CA_CERTS:-}" ]]; then
  deadline=$((SECONDS + ${CA_WAIT_SECONDS:-60}))
  until [[ -s "$NODE_EXTRA_CA_CERTS" ]]; do
    (( SECONDS < deadline )) || fail "the lane's CA $NODE_EXTRA_CA_CERTS did not appear within ${CA_WAIT_SECONDS:-60}s: is its mitmproxy running?"
    sleep 0.5
  done
fi

if [[ -n "${CLAUDE_PROJECT_SEED:-}" ]]; then
  [[ -d "$CLAUDE_PROJECT_SEED" ]] || fail "CLAUDE_PROJECT_SEED=$CLAUDE_PROJECT_SEED is not a folder"
  cp -R "$CLAUDE_PROJECT_SEED/." .
fi

if [[ -n "${CLAUDE_COMMAND:-}" ]]; then
  exec bash -c "$CLAUDE_COMMAND"
fi
# CLAUDE_LANE_ARGS is split into words on purpose, like a command line.
# shellcheck disable=SC2086
exec claude -p "${CLAUDE_PROMPT:-Summarize this repository in one sentence.}" ${CLAUDE_LANE_ARGS:-}

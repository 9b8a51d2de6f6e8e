# shellcheck shell=bash
# Check runner shared by the redis-tools scenarios (sourced, not run).
# Every check prints "##e2e PASS|FAIL <scenario>/<check> [reason]" for
# e2e/run.sh, which alone decides (from e2e/xfail.txt) what a failure means.
# A check is a function run in a subshell with errexit on: its first failing
# command fails it, and the last line it printed is the reason.

: "${E2E_HOST:=127.0.0.1}" "${E2E_PORT:=6379}"
: "${SCENARIO:?set SCENARIO before sourcing lib.sh}"
E2E_SCRATCH="$(mktemp -d "${E2E_TMP:-${TMPDIR:-/tmp}}/$SCENARIO.XXXXXX")"
trap 'rm -rf "$E2E_SCRATCH"' EXIT
declare -A E2E_FAILED=()

# cli runs redis-cli against the server under test, bounded in time.
cli() {
  timeout 10 redis-cli -h "$E2E_HOST" -p "$E2E_PORT" "$@"
}

# expect WANT GOT WHAT: fails the check unless GOT equals WANT.
expect() {
  if [ "$1" != "$2" ]; then
    printf '%s: got %q, want %q\n' "$3" "$2" "$1"
    return 1
  fi
}

# expect_match REGEX TEXT WHAT: fails the check unless TEXT matches REGEX.
expect_match() {
  if ! grep -Eq -- "$1" <<<"$2"; then
    printf '%s: %q does not match /%s/\n' "$3" "$(head -c 200 <<<"$2")" "$1"
    return 1
  fi
}

# check NAME FUNCTION [--needs OTHER]: runs FUNCTION as check NAME.
check() {
  local name="$1" fn="$2" out status
  if [ "${3:-}" = --needs ] && [ -n "${E2E_FAILED[$4]:-}" ]; then
    E2E_FAILED[$name]=1
    echo "##e2e FAIL $SCENARIO/$name not run: needs $4"
    return
  fi
  out="$E2E_SCRATCH/check.out"
  (set -eo pipefail; "$fn") >"$out" 2>&1
  status=$?
  if [ $status -eq 0 ]; then
    echo "##e2e PASS $SCENARIO/$name"
  else
    E2E_FAILED[$name]=1
    local reason
    reason="$(grep -v '^[[:space:]]*$' "$out" | tail -1 | tr -s '[:space:]' ' ' | cut -c1-300)"
    echo "##e2e FAIL $SCENARIO/$name ${reason:-exit status $status} (in $fn)"
  fi
}

done_scenario() {
  echo "##e2e DONE"
}

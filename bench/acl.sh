#!/usr/bin/env bash
# Cost of ACL checks: redis-benchmark as an ACL user with key and command rules against
# the same Taconite build as the default user, in alternating rounds.
#
#   bench/acl.sh [ROUNDS]          ROUNDS >= 5, default 5
#
# Both sides are one Taconite binary started with the same user directive (ACL_USER, by
# default: bench on >pw ~key:* ~counter:* -@all +set +get +ping +config|get, i.e. key
# patterns and command rules, no allkeys/allcommands shortcut). The T side's
# redis-benchmark logs in as that user (--user bench -a pw), the R side's as default.
# The rest is compare.sh's: prefill, calibration, alternating rounds, medians; read T/R as
# "ACL user / default user". Issue 9's target: >= 0.97 for SET and GET at -P 1 and -P 16.
#
# Environment: ACL_USER, TESTS (default "set get"), PIPELINES (default "1 16"), and
# compare.sh's and lib.sh's (N, TARGET_SECS, TACONITE_BIN, ...). See bench/README.md.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=
if [[ -z ${TACONITE_BIN:-} ]]; then
	tmp=$(mktemp -d /tmp/taconite-acl.XXXXXX)
	trap 'rm -rf "$tmp"' EXIT
	go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
	(cd "$here/.." && "$go" build -o "$tmp/taconite" ./cmd/taconite)
	TACONITE_BIN=$tmp/taconite
fi
ACL_USER=${ACL_USER:-bench on >pw ~key:* ~counter:* -@all +set +get +ping +config|get}
user=(--user $ACL_USER) # word-split on purpose: redis-server's command-line form
export TACONITE_BIN REDIS_BIN=$TACONITE_BIN
export TACONITE_ARGS="${user[*]} ${TACONITE_ARGS:-}" REDIS_ARGS="${user[*]} ${REDIS_ARGS:-}"
export T_BENCH_ARGS="--user ${ACL_USER%% *} -a pw" R_BENCH_ARGS=
export T_NAME=acl-user R_NAME=default-user TESTS=${TESTS:-set get}
echo "ACL mode: one binary ($TACONITE_BIN) on both sides, started with --user $ACL_USER;"
echo "T = redis-benchmark $T_BENCH_ARGS, R = the default user"
"$here/compare.sh" "$@"

#!/usr/bin/env bash
# redis-benchmark (Debian's redis-tools 7.0) against the server at
# E2E_HOST:E2E_PORT. redis-benchmark stops at the first error reply, so each
# test of the default suite is also run on its own (one check each, so a
# missing command fails only its own tests), then the whole default suite,
# then a pipelined, multi-threaded run with random keys.
set -uo pipefail
SCENARIO=redis-benchmark
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

bench() {
  timeout 60 redis-benchmark -h "$E2E_HOST" -p "$E2E_PORT" "$@"
}

# one_test NAME TITLE: runs the default-suite test NAME (-t) and checks that
# it completed without an error and reported its CSV row TITLE.
one_test() {
  local out="$E2E_SCRATCH/bench.csv" err="$E2E_SCRATCH/bench.err"
  bench -q -n 2000 -c 20 --csv -t "$1" >"$out" 2>"$err" || {
    echo "redis-benchmark -t $1 failed: $(grep -v '^$' "$err" | head -1)"
    return 1
  }
  if grep -q . "$err"; then
    echo "redis-benchmark -t $1 wrote to stderr: $(head -1 "$err")"
    return 1
  fi
  local rps
  rps="$(awk -F'","' -v t="\"$2" '$1 == t { print $2 }' "$out")"
  [ -n "$rps" ] || { echo "no CSV row for $2 in: $(tr '\n' ' ' <"$out")"; return 1; }
  awk -v r="$rps" 'BEGIN { exit !(r > 0) }' || { echo "$2: $rps requests per second"; return 1; }
}

# The tests of the default suite, by their -t names.
tests=(
  ping_inline ping_mbulk set get incr lpush rpush lpop rpop sadd hset spop
  zadd zpopmin lrange_100 lrange_300 lrange_500 lrange_600 mset
)

# title NAME: the CSV row title of a test; some carry a note in parentheses.
title() {
  case "$1" in
    lrange_*) echo "LRANGE_${1#lrange_} (first ${1#lrange_} elements)" ;;
    mset) echo "MSET (10 keys)" ;;
    *) tr '[:lower:]' '[:upper:]' <<<"$1" ;;
  esac
}

default_suite() {
  cli flushall >/dev/null
  local out="$E2E_SCRATCH/suite.txt" err="$E2E_SCRATCH/suite.err"
  bench -q -n 2000 >"$out" 2>"$err" || {
    echo "default suite failed: $(grep -v '^$' "$err" | head -1)"
    return 1
  }
  if grep -q . "$err"; then
    echo "default suite wrote to stderr: $(head -1 "$err")"
    return 1
  fi
  # The q-mode lines end with the final figure after carriage-return updates.
  local rows
  rows="$(tr '\r' '\n' <"$out" | grep -Ec '^[A-Z0-9_]+( \([^)]*\))?: [0-9.]+ requests per second')"
  # 19 tests plus the LPUSH that fills the list for the LRANGE tests.
  expect 20 "$rows" "tests reported by the default suite"
}

pipelined() {
  cli flushall >/dev/null
  local out="$E2E_SCRATCH/pipe.csv"
  bench -n 20000 -c 20 -P 16 --threads 2 -r 100000 -d 256 -t set,get --csv >"$out" 2>"$E2E_SCRATCH/pipe.err"
  if grep -q . "$E2E_SCRATCH/pipe.err"; then
    echo "stderr: $(head -1 "$E2E_SCRATCH/pipe.err")"
    return 1
  fi
  expect 2 "$(grep -Ec '^"(SET|GET)","[0-9.]+"' "$out")" "SET and GET rows"
  local keys
  keys="$(cli dbsize)"
  [ "$keys" -gt 1000 ] || { echo "only $keys random keys after 20000 SETs with -r 100000"; return 1; }
  expect 256 "$(cli strlen "$(cli --scan --pattern 'key:*' | head -1)")" "value size (-d 256)"
}

for name in "${tests[@]}"; do
  eval "test_$name() { one_test $name \"\$(title $name)\"; }"
  check "$name" "test_$name"
done
check default-suite default_suite
check pipelined pipelined
done_scenario

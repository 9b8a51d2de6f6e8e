#!/usr/bin/env bash
# End-to-end suite: real client libraries and tools against a server this
# script starts itself.
#
#   e2e/run.sh [--server taconite|redis] [-v] [scenario ...]
#
# --server taconite (default) builds ./cmd/taconite (TACONITE_BIN names a
# prebuilt binary instead); --server redis uses Debian's redis-server 7.0
# (REDIS_SERVER overrides the binary). -v also lists passing and xfail
# checks; E2E_KEEP_LOGS=1 keeps the logs; E2E_SERVER_ARGS adds arguments
# to the server's command line (word-split; "--io-threads 2" runs
# Taconite with two event loops). Each scenario gets a fresh server
# on a free 127.0.0.1 port, passed as E2E_HOST and E2E_PORT, and a time
# limit. Scenarios print one "##e2e PASS|FAIL <scenario>/<check>" line per
# check; this script alone decides, from e2e/xfail.txt, which failures are
# expected (only against Taconite), so the same scenarios must pass 100%
# against redis-server.
#
# Exit status: non-zero iff a required check failed, an xfail check passed
# (XPASS), or an xfail mark names a check that no longer exists.
set -uo pipefail

E2E_DIR="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$E2E_DIR/.." && pwd)"
export PATH="/usr/local/go/bin:$PATH"

# Scenario order: quick, widely used clients first.
ALL_SCENARIOS=(redis-cli redis-py django channels celery ioredis node-redis bullmq go-redis redis-benchmark)

usage() {
  echo "usage: $0 [--server taconite|redis] [-v] [scenario ...]"
  echo "scenarios: ${ALL_SCENARIOS[*]}"
}

server=taconite
verbose=0
scenarios=()
while [ $# -gt 0 ]; do
  case "$1" in
    --server) server="${2:-}"; shift 2 || { usage; exit 2; } ;;
    --server=*) server="${1#--server=}"; shift ;;
    -v|--verbose) verbose=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) usage; exit 2 ;;
    *) scenarios+=("$1"); shift ;;
  esac
done
case "$server" in taconite|redis) ;; *) usage; exit 2 ;; esac
[ ${#scenarios[@]} -eq 0 ] && scenarios=("${ALL_SCENARIOS[@]}")
for s in "${scenarios[@]}"; do
  case " ${ALL_SCENARIOS[*]} " in *" $s "*) ;; *) echo "unknown scenario: $s"; usage; exit 2 ;; esac
done

PYTHON=/usr/bin/python3 # Debian's, which has the apt-installed libraries
tmp="$(mktemp -d "${TMPDIR:-/tmp}/taconite-e2e.XXXXXX")"
mkdir -p "$tmp/logs" "$tmp/data"
server_pid=""
scenario_pid=""

stop_server() {
  [ -n "$server_pid" ] || return 0
  kill "$server_pid" 2>/dev/null
  # Poll for the exit; escalate only if SIGTERM is not honoured in time.
  local deadline=$((SECONDS + 10))
  while kill -0 "$server_pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  kill -9 "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=""
}

cleanup() {
  if [ -n "$scenario_pid" ]; then
    # timeout passes the signal on to the whole scenario, workers included.
    kill "$scenario_pid" 2>/dev/null
    wait "$scenario_pid" 2>/dev/null
  fi
  stop_server
  if [ -n "${E2E_KEEP_LOGS:-}" ]; then
    echo "logs kept in $tmp/logs"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_server LOGFILE: starts the server under test on a free port and waits
# (polling, with a deadline) until it answers PING. Sets server_pid, port.
start_server() {
  local log="$1"
  for _ in 1 2 3; do
    port="$(free_port)"
    "$server_bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
      --dir "$tmp/data" --daemonize no --logfile "" ${E2E_SERVER_ARGS:-} >>"$log" 2>&1 &
    server_pid=$!
    local deadline=$((SECONDS + 15))
    while [ $SECONDS -lt $deadline ] && kill -0 "$server_pid" 2>/dev/null; do
      if [ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; then
        return 0
      fi
      sleep 0.05
    done
    stop_server # died (port taken meanwhile?) or never answered: try again
  done
  return 1
}

if [ "$server" = taconite ] && [ -n "${TACONITE_BIN:-}" ]; then
  server_bin="$TACONITE_BIN" # a prebuilt binary, e.g. to bisect
elif [ "$server" = taconite ]; then
  echo "e2e: building Taconite"
  if ! (cd "$ROOT" && go build -o "$tmp/taconite" ./cmd/taconite) >"$tmp/logs/build.log" 2>&1; then
    cat "$tmp/logs/build.log"
    echo "e2e: 0 passed, 1 failed"
    exit 1
  fi
  server_bin="$tmp/taconite"
else
  server_bin="${REDIS_SERVER:-redis-server}"
fi
echo "e2e: server under test: $server ($("$server_bin" --version 2>&1 | head -1))"

# scenario_cmd NAME: sets cmd (argv) and limit (seconds) for a scenario.
# Against redis-server each takes 1-10 s; the limits, which add up to about
# nine minutes, only matter when a server hangs.
scenario_cmd() {
  case "$1" in
    redis-cli)       limit=60; cmd=(bash "$E2E_DIR/tools/redis_cli.sh") ;;
    redis-benchmark) limit=60; cmd=(bash "$E2E_DIR/tools/redis_benchmark.sh") ;;
    redis-py)        limit=60; cmd=("$PYTHON" "$E2E_DIR/python/redis_py.py") ;;
    django)          limit=40; cmd=("$PYTHON" "$E2E_DIR/python/django_e2e.py") ;;
    channels)        limit=50; cmd=("$PYTHON" "$E2E_DIR/python/channels_e2e.py") ;;
    celery)          limit=80; cmd=("$PYTHON" "$E2E_DIR/python/celery_e2e.py") ;;
    ioredis)         limit=40; cmd=(node "$E2E_DIR/node/ioredis_e2e.js") ;;
    node-redis)      limit=40; cmd=(node "$E2E_DIR/node/node_redis_e2e.js") ;;
    bullmq)          limit=70; cmd=(node "$E2E_DIR/node/bullmq_e2e.js") ;;
    go-redis)        limit=50; cmd=("$tmp/go-e2e") ;;
  esac
}

# prepare NAME LOG: work a scenario needs before its clock starts; a failure
# is reported as the scenario's "build" check.
prepare() {
  case "$1" in
    go-redis)
      if ! (cd "$E2E_DIR/go" && timeout 300 go build -o "$tmp/go-e2e" .) >>"$2" 2>&1; then
        echo "##e2e FAIL go-redis/build go build failed (see log)" >>"$2"
        return 1
      fi ;;
    ioredis|node-redis|bullmq)
      if [ ! -d "$E2E_DIR/node/node_modules" ]; then
        echo "##e2e FAIL $1/build e2e/node/node_modules missing: run e2e/setup.sh" >>"$2"
        return 1
      fi ;;
  esac
  return 0
}

# classify: reads one scenario's log, applies xfail.txt (Taconite only) and
# prints the verdicts plus a trailer "##counts passed failed xfail".
classify() {
  awk -v scenario="$1" -v use_xfail="$([ "$server" = taconite ] && echo 1 || echo 0)" \
      -v verbose="$verbose" -v finished="$2" '
    FNR == NR {
      # xfail.txt: "scenario/check -> issue N[, M]"; # starts a comment.
      sub(/#.*/, "")
      if (index($0, "->") == 0) next
      name = substr($0, 1, index($0, "->") - 1); gsub(/[ \t]+/, "", name)
      rest = substr($0, index($0, "->") + 2)
      issues = ""
      while (match(rest, /[0-9]+/)) {
        issues = issues (issues == "" ? "" : ",") substr(rest, RSTART, RLENGTH)
        rest = substr(rest, RSTART + RLENGTH)
      }
      if (use_xfail && name != "") xfail[name] = issues
      next
    }
    $1 == "##e2e" && ($2 == "PASS" || $2 == "FAIL") {
      check = $3
      reason = $0; sub(/^##e2e (PASS|FAIL) [^ ]* ?/, "", reason)
      seen[check] = 1
      if (check in xfail) {
        if ($2 == "PASS") {
          failed++
          printf "  XPASS %s (marked xfail for issue %s: remove the mark)\n", check, xfail[check]
        } else {
          xf++
          n = split(xfail[check], is, ",")
          for (i = 1; i <= n; i++) printf "##issue %s\n", is[i]
          if (verbose) printf "  xfail %s (issue %s): %s\n", check, xfail[check], reason
        }
      } else if ($2 == "PASS") {
        passed++
        if (verbose) printf "  ok    %s\n", check
      } else {
        failed++
        printf "  FAIL  %s: %s\n", check, reason
      }
    }
    END {
      if (finished == "yes") {
        # A mark naming a check the scenario no longer reports is stale.
        for (c in xfail) {
          if (index(c, scenario "/") == 1 && !(c in seen)) {
            failed++
            printf "  STALE xfail mark %s: no such check was reported\n", c
          }
        }
      }
      printf "##counts %d %d %d\n", passed, failed, xf
    }
  ' "$E2E_DIR/xfail.txt" "$3"
}

total_passed=0
total_failed=0
total_xfail=0
issue_counts=""
for name in "${scenarios[@]}"; do
  log="$tmp/logs/$name.log"
  : >"$log"
  scenario_cmd "$name"
  started=$SECONDS
  status=0
  finished=no
  if prepare "$name" "$log"; then
    if start_server "$tmp/logs/$name.server.log"; then
      # In the background and waited for, so that a signal to this script
      # is handled at once (timeout puts the scenario in its own process
      # group, out of reach of a terminal's Ctrl-C).
      E2E_HOST=127.0.0.1 E2E_PORT="$port" E2E_SERVER="$server" E2E_TMP="$tmp" \
        PYTHONPATH="$E2E_DIR/python" PYTHONDONTWRITEBYTECODE=1 \
        timeout -k 5 "$limit" "${cmd[@]}" </dev/null >>"$log" 2>&1 &
      scenario_pid=$!
      wait "$scenario_pid"
      status=$?
      scenario_pid=""
      # The server must have survived the scenario: any reply will do (a
      # scenario that failed half way may have left a password set).
      if [ -n "$(timeout 5 redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" ]; then
        echo "##e2e PASS $name/server-alive" >>"$log"
      else
        echo "##e2e FAIL $name/server-alive server did not answer PING after the scenario" >>"$log"
      fi
      stop_server
      if grep -q '^##e2e DONE' "$log" && [ $status -eq 0 ]; then
        finished=yes
      elif [ $status -eq 124 ] || [ $status -eq 137 ]; then
        echo "##e2e FAIL $name/finished timed out after ${limit}s" >>"$log"
      else
        echo "##e2e FAIL $name/finished exited with status $status before finishing" >>"$log"
      fi
    else
      echo "##e2e FAIL $name/server-start server did not start (see $name.server.log)" >>"$log"
    fi
  fi
  out="$(classify "$name" "$finished" "$log")"
  counts="$(grep '^##counts' <<<"$out")"
  read -r _ p f x <<<"$counts"
  issue_counts+="$(grep '^##issue' <<<"$out" | cut -d' ' -f2) "
  line="$name: $p passed, $f failed"
  [ "$x" -gt 0 ] && line+=", $x xfail"
  echo "$line ($((SECONDS - started))s)"
  grep -v '^##' <<<"$out"
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
  total_xfail=$((total_xfail + x))
done

if [ "$total_xfail" -gt 0 ]; then
  by_issue="$(tr ' ' '\n' <<<"$issue_counts" | grep . | sort -n | uniq -c | awk '{printf "%sissue %s: %s", (NR > 1 ? ", " : ""), $2, $1}')"
  echo "e2e xfail: $total_xfail expected failures ($by_issue)"
fi
[ "$total_failed" -gt 0 ] && [ -z "${E2E_KEEP_LOGS:-}" ] && echo "e2e: to read the scenario logs, rerun with E2E_KEEP_LOGS=1"
echo "e2e: $total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]

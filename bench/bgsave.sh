#!/usr/bin/env bash
# Background save under a write load: peak extra memory and p99 latency of
# Taconite (snapshot without fork) and redis-server (fork + copy-on-write).
#
#   bench/bgsave.sh [--keys N] [--size BYTES] [--writes N]
#
# For each server: load N keys (default 1,000,000) of SIZE bytes (1024) with
# the key names redis-benchmark uses, then
#   1. idle p99: redis-benchmark SET over the same keys (-r N, 50 clients),
#      no save running;
#   2. BGSAVE, and at once the same SET load; memory is sampled every 50 ms
#      until both end: proportional set size (Pss) of the server and of its
#      children (redis's fork shares pages with its parent: Pss counts each
#      page once), so "extra" is the peak over the Pss before BGSAVE.
# Prints, per server: data set Pss; the peak extra Pss of the write load
# alone (load_extra) and of the load with BGSAVE (save_extra, also as % of
# the data set); p99 of the load alone and during BGSAVE; BGSAVE seconds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KEYS=1000000
SIZE=1024
WRITES=300000
while (($#)); do
	case $1 in
	--keys) KEYS=$2; shift 2 ;;
	--size) SIZE=$2; shift 2 ;;
	--writes) WRITES=$2; shift 2 ;;
	-h | --help) sed -n '2,16p' "$0"; exit 0 ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
done
need_tools
resolve_taconite

# pss_kb SIDE: Pss of the server and its children, in kB.
pss_kb() {
	local pid=${SIDE_PID[$1]} total=0 p v
	for p in $pid $(pgrep -P "$pid" || true); do
		v=$(awk '$1 == "Pss:" { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
		total=$((total + ${v:-0}))
	done
	echo "$total"
}

# p99 of a redis-benchmark --csv run (the data line's 7th field).
p99_of() { awk -F'","' 'NR == 2 { print $7 }' "$1"; }

set_load() { # set_load SIDE OUT
	"$REDIS_BENCH" -h 127.0.0.1 -p "${SIDE_PORT[$1]}" -t set -r "$KEYS" -d "$SIZE" -n "$WRITES" -c 50 --csv >"$2" 2>/dev/null
}

printf '%-9s %8s %14s %14s %8s %9s %11s %7s\n' server data_MB load_extra_MB save_extra_MB extra_% idle_p99 bgsave_p99 save_s
for side in T R; do
	start_server "$side"
	log "${SIDE_NAME[$side]}: loading $KEYS keys of $SIZE bytes"
	gen_strings 0 "$KEYS" "$SIZE" | pipe_load "$side"
	cli "$side" DBSIZE >/dev/null
	sleep 2
	# The control: the same load without a save (a garbage-collected heap
	# grows under writes by itself).
	base0=$(pss_kb "$side")
	peak0=$base0
	set_load "$side" "$WORK/$side.idle.csv" &
	load=$!
	while kill -0 "$load" 2>/dev/null; do
		m=$(pss_kb "$side")
		((m > peak0)) && peak0=$m
		sleep 0.05
	done
	wait "$load" || true
	base=$(pss_kb "$side")
	peak=$base
	cli "$side" BGSAVE >/dev/null
	set_load "$side" "$WORK/$side.save.csv" &
	load=$!
	t0=$(date +%s.%N)
	while :; do
		m=$(pss_kb "$side")
		((m > peak)) && peak=$m
		if ! kill -0 "$load" 2>/dev/null && cli "$side" INFO persistence | grep -q 'rdb_bgsave_in_progress:0'; then
			break
		fi
		sleep 0.05
	done
	wait "$load" || true
	secs=$(cli "$side" INFO persistence | awk -F: '/^rdb_last_bgsave_time_sec/ { print $2 }' | tr -d '\r')
	printf '%-9s %8d %14d %14d %8.1f %9s %11s %7s\n' "${SIDE_NAME[$side]}" $((base0 / 1024)) $(((peak0 - base0) / 1024)) $(((peak - base) / 1024)) \
		"$(awk -v p="$peak" -v b="$base" 'BEGIN { print (p - b) * 100 / b }')" \
		"$(p99_of "$WORK/$side.idle.csv")" "$(p99_of "$WORK/$side.save.csv")" "$secs"
	stop_server "$side"
done
bench_done

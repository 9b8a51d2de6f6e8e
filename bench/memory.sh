#!/usr/bin/env bash
# Memory per key (RSS) of Taconite and redis-server after a pipelined load.
#
#   bench/memory.sh [--shapes string,hash,zset,list,set | --all] [--keys N]
#
# For each shape and each server: start fresh, read VmRSS, load the data with
# `redis-cli --pipe`, wait SETTLE seconds (default 5), read VmRSS again, stop.
# bytes/key = (RSS after - RSS before) / keys.
#
# Shapes (sizes as in /work/shared/PERFORMANCE.md):
#   string  1,000,000 x  SET key:N v%015d                  (16-byte value)
#   hash    1,000,000 x  HSET hash:N field0 v.. field9 v..  (10 fields, 16-byte values)
#   zset      100,000 x  ZADD zset:N 0 member:0 .. 99 member:99   (100 members)
#   list      100,000 x  RPUSH list:N v.. (100 elements of 16 bytes)
#   set        10,000 x  SADD set:N member:0 .. member:999   (1,000 members)
# --keys N overrides the key count of every selected shape (for quick checks).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SHAPES=string
KEYS_OVERRIDE=
while (($#)); do
	case $1 in
	--shapes) SHAPES=$2; shift 2 ;;
	--shapes=*) SHAPES=${1#*=}; shift ;;
	--all) SHAPES=string,hash,zset,list,set; shift ;;
	--keys) KEYS_OVERRIDE=$2; shift 2 ;;
	--keys=*) KEYS_OVERRIDE=${1#*=}; shift ;;
	-h | --help) sed -n '2,18p' "$0"; exit 0 ;;
	*) die "unknown argument: $1 (see --help)" ;;
	esac
done
SETTLE=${SETTLE:-5}

declare -A DEF_KEYS=([string]=1000000 [hash]=1000000 [zset]=100000 [list]=100000 [set]=10000)
declare -A ELEMS=([string]=1 [hash]=10 [zset]=100 [list]=100 [set]=1000)

# gen SHAPE COUNT: RESP commands on stdout.
gen() {
	awk -v shape="$1" -v n="$2" 'BEGIN {
		for (i = 0; i < n; i++) {
			if (shape == "string") {
				k = "key:" i; v = sprintf("v%015d", i)
				printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\n%s\r\n", length(k), k, v
			} else if (shape == "hash") {
				k = "hash:" i
				printf "*22\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n", length(k), k
				for (j = 0; j < 10; j++) {
					f = "field" j; v = sprintf("v%015d", i * 10 + j)
					printf "$%d\r\n%s\r\n$16\r\n%s\r\n", length(f), f, v
				}
			} else if (shape == "zset") {
				k = "zset:" i
				printf "*202\r\n$4\r\nZADD\r\n$%d\r\n%s\r\n", length(k), k
				for (j = 0; j < 100; j++) {
					m = "member:" j; s = j ""
					printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(s), s, length(m), m
				}
			} else if (shape == "list") {
				k = "list:" i
				printf "*102\r\n$5\r\nRPUSH\r\n$%d\r\n%s\r\n", length(k), k
				for (j = 0; j < 100; j++) printf "$16\r\nv%015d\r\n", i * 100 + j
			} else if (shape == "set") {
				k = "set:" i
				printf "*1002\r\n$4\r\nSADD\r\n$%d\r\n%s\r\n", length(k), k
				for (j = 0; j < 1000; j++) {
					m = "member:" j
					printf "$%d\r\n%s\r\n", length(m), m
				}
			}
		}
	}'
}

need_tools
resolve_taconite

declare -A RES=()
IFS=, read -r -a shape_list <<<"$SHAPES"
for shape in "${shape_list[@]}"; do
	[[ -n ${ELEMS[$shape]:-} ]] || die "unknown shape: $shape"
	keys=${KEYS_OVERRIDE:-${DEF_KEYS[$shape]}}
	for s in T R; do
		start_server "$s"
		sleep 1
		before=$(rss_kb "$s")
		log "${SIDE_NAME[$s]}: loading $keys $shape keys (RSS before: $before kB)"
		t0=$(date +%s.%N)
		gen "$shape" "$keys" | pipe_load "$s"
		t1=$(date +%s.%N)
		sleep "$SETTLE"
		check_alive "$s"
		after=$(rss_kb "$s")
		peak=$(rss_kb "$s" VmHWM)
		dbsize=$(cli "$s" DBSIZE)
		[[ $dbsize == "$keys" ]] || log "WARNING: ${SIDE_NAME[$s]} DBSIZE is $dbsize, expected $keys"
		RES[$shape,$s]="$before $after $peak $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')"
		log "${SIDE_NAME[$s]}: RSS after $after kB, peak $peak kB, load took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
		stop_server "$s"
	done
done

echo
echo "Taconite: $TACONITE_DESC   Redis: $(command -v "$REDIS_BIN")   settle ${SETTLE}s"
echo
printf '%-7s %9s %5s | %10s %10s %6s | %9s %9s | %10s %10s | %7s %7s\n' \
	shape keys el/k "T B/key" "R B/key" "T/R" "T B/el" "R B/el" "T peak MB" "R peak MB" "T load" "R load"
echo "-------------------------------------------------------------------------------------------------------------"
for shape in "${shape_list[@]}"; do
	keys=${KEYS_OVERRIDE:-${DEF_KEYS[$shape]}}
	read -r tb ta tp tl <<<"${RES[$shape,T]}"
	read -r rb ra rp rl <<<"${RES[$shape,R]}"
	awk -v s="$shape" -v k="$keys" -v e="${ELEMS[$shape]}" -v tb="$tb" -v ta="$ta" -v tp="$tp" \
		-v rb="$rb" -v ra="$ra" -v rp="$rp" -v tl="$tl" -v rl="$rl" 'BEGIN {
		t = (ta - tb) * 1024 / k; r = (ra - rb) * 1024 / k
		printf "%-7s %9d %5d | %10.1f %10.1f %6.3f | %9s %9s | %10.1f %10.1f | %6ss %6ss\n",
			s, k, e, t, r, (r > 0 ? t / r : 0),
			(e > 1 ? sprintf("%.1f", t / e) : "-"), (e > 1 ? sprintf("%.1f", r / e) : "-"),
			tp / 1024, rp / 1024, tl, rl }'
done
echo
echo "B/key = (VmRSS after load + ${SETTLE}s - VmRSS of the fresh server) / keys; B/el = B/key / elements."
echo "peak = VmHWM (highest RSS seen, includes transient GC headroom)."
bench_done

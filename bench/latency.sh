#!/usr/bin/env bash
# Tail latency with an empty keyspace vs with a large keyspace loaded, Taconite and redis-server.
#
#   bench/latency.sh [ROUNDS]          ROUNDS >= 5, default 5
#
# Four instances run side by side: taconite-empty (T), taconite-loaded (TL), redis-empty (R),
# redis-loaded (RL). All four get the redis-benchmark working set prefilled (RANGE keys
# key:%012d, 16-byte values; "empty" means only these); TL and RL are then loaded up to
# LOAD_KEYS keys via redis-cli --pipe (the working set is a subset, so every GET hits on all
# four and the work per request is the same). Then, for ROUNDS rounds, redis-benchmark SET
# and GET (-P 1, -c 50, -d 64, -r RANGE) run against each instance, the order rotating and
# reversing from round to round. Because empty and loaded are measured in the same round,
# the loaded/empty p99 ratio is a paired, per-round ratio (median over rounds), as T/R is.
#
# Environment: LOAD_KEYS (default 10000000), N (requests per run; default: calibrated so a
#   run takes ~TARGET_SECS=1.5 s),
#   LOAD_SETTLE (seconds between the load and the measurements, default 2),
#   CLIENTS=50 DATASIZE=64 RANGE=100000, and lib.sh's TACONITE_BIN, REDIS_BIN, ...
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${1:-5}
[[ $ROUNDS =~ ^[0-9]+$ ]] || die "usage: $0 [rounds]"
if ((ROUNDS < 5)) && [[ ${ALLOW_FEW_ROUNDS:-0} != 1 ]]; then
	die "at least 5 rounds are needed for a meaningful median (ALLOW_FEW_ROUNDS=1 to override)"
fi
LOAD_KEYS=${LOAD_KEYS:-10000000}
N=${N:-}
LOAD_SETTLE=${LOAD_SETTLE:-2}
TESTS="set get"
export CLIENTS=${CLIENTS:-50} DATASIZE=${DATASIZE:-64} RANGE=${RANGE:-100000}
((LOAD_KEYS > RANGE)) || die "LOAD_KEYS ($LOAD_KEYS) must be larger than RANGE ($RANGE)"

need_tools
resolve_taconite
SIDE_NAME[T]=taconite-empty SIDE_NAME[TL]=taconite-loaded
SIDE_NAME[R]=redis-empty SIDE_NAME[RL]=redis-loaded
SIDE_BIN[TL]=${SIDE_BIN[T]} SIDE_BIN[RL]=${SIDE_BIN[R]}
ALL="T TL R RL"
for s in $ALL; do start_server "$s"; done

log "prefilling the working set: $RANGE keys on all four instances"
for s in $ALL; do gen_strings 0 "$RANGE" 16 | pipe_load "$s"; done

declare -A RSS=()
for s in TL RL; do
	log "${SIDE_NAME[$s]}: loading keys up to $LOAD_KEYS (RSS before: $(rss_kb "$s") kB)"
	t0=$SECONDS
	gen_strings "$RANGE" $((LOAD_KEYS - RANGE)) 16 | pipe_load "$s"
	RSS[$s]=$(rss_kb "$s")
	log "${SIDE_NAME[$s]}: loaded in $((SECONDS - t0)) s, DBSIZE $(cli "$s" DBSIZE), RSS ${RSS[$s]} kB"
done
sleep "$LOAD_SETTLE"

if [[ -z $N ]]; then # calibrate: the same -n for every run, ~TARGET_SECS at the current speed
	read -r a _ <<<"$(run_bench T 20000 1 set)"
	read -r b _ <<<"$(run_bench R 20000 1 set)"
	N=$(awk -v a="$a" -v b="$b" -v s="${TARGET_SECS:-1.5}" 'BEGIN {
		if (a !~ /^[0-9.]+$/ || a <= 0) a = b; if (b !~ /^[0-9.]+$/ || b <= 0) b = a
		n = (a > 0) ? int(sqrt(a * b) * s / 1000 + 0.5) * 1000 : 100000
		print (n < 20000 ? 20000 : n) }')
	log "calibrated: taconite $a rps, redis $b rps -> -n $N"
fi

RAW=$WORK/latency.tsv
printf 'round\ttest\tside\trps\tp50_ms\tp99_ms\tmax_ms\n' >"$RAW"
sides=($ALL)
for r in $(seq 1 "$ROUNDS"); do
	# rotate by r-1, reverse every other round: each instance sees every position
	order=()
	for i in 0 1 2 3; do order+=("${sides[$(((i + r - 1) % 4))]}"); done
	if ((r % 2 == 0)); then order=("${order[3]}" "${order[2]}" "${order[1]}" "${order[0]}"); fi
	log "round $r/$ROUNDS (order: ${order[*]})"
	for t in $TESTS; do
		for s in "${order[@]}"; do
			read -r rps p50 p99 mx <<<"$(run_bench "$s" "$N" 1 "$t")"
			check_alive "$s"
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$t" "$s" "$rps" "$p50" "$p99" "$mx" >>"$RAW"
		done
	done
done

echo
echo "Taconite: $TACONITE_DESC   Redis: $(command -v "$REDIS_BIN")   rounds: $ROUNDS   -P 1 -c $CLIENTS -d $DATASIZE -r $RANGE -n $N"
echo "empty = $RANGE-key working set only; loaded = $LOAD_KEYS keys" \
	"(RSS taconite $((RSS[TL] / 1024)) MB, redis $((RSS[RL] / 1024)) MB). Medians over rounds, latencies in ms."
echo
awk -F'\t' '
function median(str,    a, n, i, j, x) {
	n = split(str, a, " ")
	if (n == 0) return "NA"
	for (i = 2; i <= n; i++) { x = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
	return (n % 2) ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
}
# median over rounds of the per-round ratio num/den of p99 for test t
function pratio(t, num, den,    r, s) {
	s = ""
	for (r in rounds) if ((r, t, num) in p99v && (r, t, den) in p99v && p99v[r, t, den] > 0)
		s = s " " p99v[r, t, num] / p99v[r, t, den]
	return median(s)
}
NR > 1 && $4 != "NA" {
	k = $2 SUBSEP $3
	rps[k] = rps[k] " " $4; p50[k] = p50[k] " " $5; p99[k] = p99[k] " " $6; mx[k] = mx[k] " " $7
	p99v[$1, $2, $3] = $6; rounds[$1] = 1
}
END {
	printf "%-8s %-4s | %9s %9s | %7s %7s | %8s %8s %13s | %8s %8s\n", "server", "test",
		"rps empty", "rps load", "p50 emp", "p50 ld", "p99 emp", "p99 ld", "p99 ld/empty", "max emp", "max ld"
	print "------------------------------------------------------------------------------------------------------"
	split("T R", S, " "); split("set get", T, " ")
	for (i = 1; i <= 2; i++) for (j = 1; j <= 2; j++) {
		e = T[j] SUBSEP S[i]; l = T[j] SUBSEP S[i] "L"
		printf "%-8s %-4s | %9.0f %9.0f | %7.3f %7.3f | %8.3f %8.3f %13.2f | %8.3f %8.3f\n",
			(S[i] == "T" ? "taconite" : "redis"), toupper(T[j]), median(rps[e]), median(rps[l]),
			median(p50[e]), median(p50[l]), median(p99[e]), median(p99[l]),
			pratio(T[j], S[i] "L", S[i]), median(mx[e]), median(mx[l])
	}
	print ""
	for (j = 1; j <= 2; j++)
		printf "%s p99 taconite/redis: empty %.2f, loaded %.2f\n", toupper(T[j]),
			pratio(T[j], "T", "R"), pratio(T[j], "TL", "RL")
	print "(ratios are medians of per-round ratios; p99 at -P 1 is noisy, see bench/README.md)"
}' "$RAW"
echo
echo "raw per-round data: $RAW"
KEEP=1
bench_done

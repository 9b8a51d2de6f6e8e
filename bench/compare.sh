#!/usr/bin/env bash
# Throughput/latency comparison of Taconite against redis-server, in alternating rounds.
#
#   bench/compare.sh [ROUNDS]          ROUNDS >= 5, default 5
#
# Environment (besides lib.sh's TACONITE_BIN, REDIS_BIN, ...):
#   N            requests per redis-benchmark run for every test (default: calibrated so
#                that each run takes ~TARGET_SECS seconds)
#   TARGET_SECS  calibration target per run (default 1.5)
#   TESTS        redis-benchmark tests (default "set get incr mset")
#   PIPELINES    pipeline depths (default "1 16")
#   CLIENTS=50 DATASIZE=64 RANGE=100000   redis-benchmark -c, -d, -r
#
# See bench/README.md for how to read the output.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${1:-5}
[[ $ROUNDS =~ ^[0-9]+$ ]] || die "usage: $0 [rounds]"
if ((ROUNDS < 5)) && [[ ${ALLOW_FEW_ROUNDS:-0} != 1 ]]; then
	die "at least 5 rounds are needed for a meaningful median (ALLOW_FEW_ROUNDS=1 to override)"
fi
TESTS=${TESTS:-set get incr mset}
PIPELINES=${PIPELINES:-1 16}
TARGET_SECS=${TARGET_SECS:-1.5}
export CLIENTS=${CLIENTS:-50} DATASIZE=${DATASIZE:-64} RANGE=${RANGE:-100000}

need_tools
resolve_taconite
start_server T
start_server R

log "prefilling $RANGE keys (key:%012d, ${DATASIZE}-byte values) on both servers"
for s in T R; do gen_strings 0 "$RANGE" "$DATASIZE" | pipe_load "$s"; done
for s in T R; do cli "$s" SCRIPT LOAD "$BENCH_SCRIPT" >/dev/null; done

# ---- calibration (also the warm-up): the same N for both sides, per test and depth.
declare -A NREQ=()
for p in $PIPELINES; do
	for t in $TESTS; do
		if [[ -n ${N:-} ]]; then
			NREQ[$t,$p]=$N
			continue
		fi
		cal=$((10000 * p))
		read -r rt _ <<<"$(run_bench T "$cal" "$p" "$t")"
		read -r rr _ <<<"$(run_bench R "$cal" "$p" "$t")"
		check_alive T
		check_alive R
		# geometric mean of both rates, so neither side runs far off the target
		NREQ[$t,$p]=$(awk -v a="$rt" -v b="$rr" -v s="$TARGET_SECS" -v p="$p" 'BEGIN {
			if (a !~ /^[0-9.]+$/ || a <= 0) a = b
			if (b !~ /^[0-9.]+$/ || b <= 0) b = a
			if (a !~ /^[0-9.]+$/ || a <= 0) { print 50000 * p; exit }
			n = int(sqrt(a * b) * s / 1000 + 0.5) * 1000
			if (n < 5000 * p) n = 5000 * p
			print n }')
		log "calibrated $t -P $p: taconite ${rt} rps, redis ${rr} rps -> -n ${NREQ[$t,$p]}"
	done
done

# ---- measured rounds
RAW=$WORK/compare.tsv
printf 'round\ttest\tP\tside\tn\trps\tp50_ms\tp99_ms\tmax_ms\tsyscalls_per_req\tcpu_us_per_req\tsys_cpu_share\n' >"$RAW"
hz=$(getconf CLK_TCK)
for r in $(seq 1 "$ROUNDS"); do
	if ((r % 2 == 1)); then order="T R"; else order="R T"; fi
	log "round $r/$ROUNDS (order: $order)"
	for p in $PIPELINES; do
		for t in $TESTS; do
			n=${NREQ[$t,$p]}
			for s in $order; do
				read -r r0 w0 u0 k0 <<<"$(proc_sample "$s")"
				read -r rps p50 p99 mx <<<"$(run_bench "$s" "$n" "$p" "$t")"
				check_alive "$s"
				read -r r1 w1 u1 k1 <<<"$(proc_sample "$s")"
				awk -v OFS='\t' -v r="$r" -v t="$t" -v p="$p" -v s="$s" -v n="$n" \
					-v rps="$rps" -v p50="$p50" -v p99="$p99" -v mx="$mx" -v hz="$hz" \
					-v sc=$((r1 - r0 + w1 - w0)) -v ut=$((u1 - u0)) -v st=$((k1 - k0)) 'BEGIN {
					cpu = (ut + st) * 1e6 / hz / n
					share = (ut + st) > 0 ? st / (ut + st) : 0
					print r, t, p, s, n, rps, p50, p99, mx, sprintf("%.3f", sc / n),
						sprintf("%.2f", cpu), sprintf("%.2f", share) }' >>"$RAW"
			done
		done
	done
done

# ---- report
echo
echo "Taconite: $TACONITE_DESC   Redis: $(command -v "$REDIS_BIN")   rounds: $ROUNDS" \
	" -c $CLIENTS -d $DATASIZE -r $RANGE   (T = taconite, R = redis; medians over rounds)"
echo
awk -F'\t' -v tests="$TESTS" -v pipes="$PIPELINES" '
function median(str,    a, n, i, j, x) {
	n = split(str, a, " ")
	if (n == 0) return "NA"
	for (i = 2; i <= n; i++) { x = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
	return (n % 2) ? a[(n + 1) / 2] + 0 : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(k, v) { if (v != "NA" && v != "") vals[k] = vals[k] " " v }
NR > 1 {
	key = $2 SUBSEP $3
	add(key SUBSEP $4 SUBSEP "rps", $6); add(key SUBSEP $4 SUBSEP "p50", $7)
	add(key SUBSEP $4 SUBSEP "p99", $8); add(key SUBSEP $4 SUBSEP "sc", $10)
	add(key SUBSEP $4 SUBSEP "cpu", $11)
	rate[$1 SUBSEP key SUBSEP $4] = $6
	rounds[$1] = 1
}
END {
	printf "%-5s %3s | %10s %10s %6s | %6s %6s | %6s %6s | %6s %6s | %7s %7s | %6s\n",
		"test", "P", "T rps", "R rps", "T/R", "T p50", "R p50", "T p99", "R p99",
		"T sc/r", "R sc/r", "T us/r", "R us/r", "spread"
	printf "%s\n", "------------------------------------------------------------------------------------------------------------------"
	np = split(pipes, P, " "); nt = split(tests, T, " ")
	for (i = 1; i <= np; i++) for (j = 1; j <= nt; j++) {
		key = T[j] SUBSEP P[i]; rs = ""
		for (r in rounds) {
			a = rate[r SUBSEP key SUBSEP "T"]; b = rate[r SUBSEP key SUBSEP "R"]
			if (a != "" && a != "NA" && b != "" && b != "NA" && b > 0) rs = rs " " a / b
		}
		ratio = median(rs)
		# spread: min..max of the per-round ratios, as a reminder of the noise
		n = split(rs, q, " "); lo = 1e9; hi = 0
		for (k = 1; k <= n; k++) { if (q[k] + 0 < lo) lo = q[k] + 0; if (q[k] + 0 > hi) hi = q[k] + 0 }
		spread = n ? sprintf("%.2f-%.2f", lo, hi) : "NA"
		printf "%-5s %3s | %10.0f %10.0f %6.3f | %6.3f %6.3f | %6.3f %6.3f | %6.3f %6.3f | %7.2f %7.2f | %s\n",
			toupper(T[j]), P[i],
			median(vals[key SUBSEP "T" SUBSEP "rps"]), median(vals[key SUBSEP "R" SUBSEP "rps"]), ratio,
			median(vals[key SUBSEP "T" SUBSEP "p50"]), median(vals[key SUBSEP "R" SUBSEP "p50"]),
			median(vals[key SUBSEP "T" SUBSEP "p99"]), median(vals[key SUBSEP "R" SUBSEP "p99"]),
			median(vals[key SUBSEP "T" SUBSEP "sc"]), median(vals[key SUBSEP "R" SUBSEP "sc"]),
			median(vals[key SUBSEP "T" SUBSEP "cpu"]), median(vals[key SUBSEP "R" SUBSEP "cpu"]),
			spread
		if (ratio != "NA" && ratio > 0) {
			lg += log(ratio); cnt++
			lgp[P[i]] += log(ratio); cntp[P[i]]++
		}
	}
	print ""
	if (cnt) printf "geometric mean of T/R ratios: %.3f over %d tests", exp(lg / cnt), cnt
	for (i = 1; i <= np; i++) if (cntp[P[i]]) printf "   (-P %s: %.3f)", P[i], exp(lgp[P[i]] / cntp[P[i]])
	print ""
	print "latencies in ms; sc/r = read+write syscalls per request (/proc/PID/io syscr+syscw);"
	print "us/r = server CPU (utime+stime) per request. Noise: +-3% on the geomean, +-15% on one test."
}' "$RAW"
echo
echo "raw per-round data: $RAW"
KEEP=1
bench_done

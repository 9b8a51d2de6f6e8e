#!/usr/bin/env bash
# Keyspace scaling (issue 2): BenchmarkParallelSetGet's cases at -cpu 1 and
# -cpu 2, each run in a process of its own, the cases and CPU counts in
# alternation, ROUNDS times; prints each case's median ns/op at 1 and 2
# CPUs and their ratio (the scaling; 2.0 is perfect on two cores).
#
#   bench/scaling.sh [ROUNDS]      default 5
#
# "scaling" is the ratio of the medians, "best" that of the fastest runs
# at 1 and 2 CPUs: a neighbour on the host only ever slows a run down, so
# when the medians move from one run of the script to the next (they did
# by up to 1.6x here in busy hours), the best runs are the steadier
# reading.
#
# Why separate processes: one process running the cases in turn leaves the
# later cases' -cpu 1 figures scattered by what the earlier ones left
# (heap, caches); why rounds: two-core VMs here move by 10-30% from one run
# to the next. Cases (see internal/keyspace/keyspace_test.go): cached (keys
# over all shards, as clients' are; GET and SET in shared mode), exclusive
# (the same with every command taking its shard exclusively), 100k,
# ownshards (each worker's keys in shards of its own), control (private
# memory walks: the machine's own scaling), stripedmap (16 Go maps under
# striped mutexes: what sharing lock lines costs here).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
rounds=${1:-5}
cases=${CASES:-cached exclusive ownshards control stripedmap}
tmp=$(mktemp -d /tmp/taconite-scaling.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
go=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
(cd "$here/.." && "$go" test -c -o "$tmp/keyspace.test" ./internal/keyspace)
for r in $(seq "$rounds"); do
	echo "[$(date +%T)] round $r/$rounds" >&2
	for c in $cases; do
		for cpu in 1 2; do
			ns=$("$tmp/keyspace.test" -test.run '^$' -test.bench "ParallelSetGet/$c\$" \
				-test.cpu "$cpu" -test.benchtime 1s | awk '/^Benchmark/ {print $3}')
			printf '%s\t%s\t%s\n' "$c" "$cpu" "$ns"
		done
	done
done >"$tmp/raw.tsv"
awk -F'\t' -v cases="$cases" '
function median(arr, n,   i, j, t) {
	for (i = 2; i <= n; i++) for (j = i; j > 1 && arr[j-1] > arr[j]; j--) { t = arr[j]; arr[j] = arr[j-1]; arr[j-1] = t }
	return n % 2 ? arr[(n+1)/2] : (arr[n/2] + arr[n/2+1]) / 2
}
{ k = $1 SUBSEP $2; v[k, ++n[k]] = $3 }
END {
	printf "%-12s %10s %10s %8s %8s   %s\n", "case", "1 cpu ns", "2 cpu ns", "scaling", "best", "2-cpu runs"
	split(cases, cs, " ")
	for (i = 1; i in cs; i++) {
		c = cs[i]
		for (cpu = 1; cpu <= 2; cpu++) {
			k = c SUBSEP cpu; delete a; runs = ""
			for (j = 1; j <= n[k]; j++) { a[j] = v[k, j]; runs = runs " " v[k, j] }
			m[cpu] = median(a, n[k])
			b[cpu] = a[1] # median() sorted a
			if (cpu == 2) r2 = runs
		}
		printf "%-12s %10.1f %10.1f %8.2f %8.2f  %s\n", c, m[1], m[2], m[1] / m[2], b[1] / b[2], r2
	}
}' "$tmp/raw.tsv"

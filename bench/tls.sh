#!/usr/bin/env bash
# Throughput/latency comparison of Taconite against redis-server over TLS.
#
#   bench/tls.sh [ROUNDS]          ROUNDS >= 5, default 5
#
# This is compare.sh in lib.sh's TLS mode (BENCH_TLS=1, see tls_init): openssl generates
# a CA and a server certificate in the work directory; both servers listen on a TLS port
# only, with the same settings (--port 0 --tls-port P --tls-cert-file --tls-key-file
# --tls-ca-cert-file --tls-auth-clients no); redis-cli and redis-benchmark connect with
# --tls --cacert CA. The rest is compare.sh's: prefill, calibration, ROUNDS alternating
# rounds of redis-benchmark -c 50 -d 64 -r 100000 -P {1,16} -n N -t set,get, and its
# report (median of the per-round T/R ratios, p50/p99, syscalls and server CPU us per
# request from /proc/PID/io and /proc/PID/stat).
#
# Environment: TESTS (default "set get"), PIPELINES (default "1 16"), TLS_CLIENT_ARGS
# (extra redis-cli/redis-benchmark arguments, e.g. "--tls-ciphersuites
# TLS_AES_128_GCM_SHA256" to make both servers use one suite), and compare.sh's and
# lib.sh's (N, TARGET_SECS, TACONITE_BIN, ...). See bench/README.md.
set -euo pipefail
export BENCH_TLS=1 TESTS=${TESTS:-set get}
echo "TLS mode: servers --port 0 --tls-port P --tls-auth-clients no;" \
	"clients --tls --cacert CA ${TLS_CLIENT_ARGS:-}"
exec "$(dirname "${BASH_SOURCE[0]}")/compare.sh" "$@"

# Shared helpers for bench/*.sh. Source it; do not run it.
#
# Environment understood by every script:
#   TACONITE_BIN   server binary to test as "Taconite" (default: built from ./cmd/taconite)
#   REDIS_BIN      reference server (default: redis-server)
#   TACONITE_ARGS  extra arguments for Taconite (word-split)
#   REDIS_ARGS     extra arguments for the reference server (word-split)
#   GO             go command (default: go on PATH, else /usr/local/go/bin/go)
#   KEEP=1         keep the work directory (logs, raw results) even on success
#   BENCH_TLS=1    TLS mode (bench/tls.sh): see tls_init
#   TLS_CLIENT_ARGS  extra redis-cli/redis-benchmark arguments in TLS mode (word-split)
#   T_BENCH_ARGS, R_BENCH_ARGS  extra redis-benchmark arguments for one side only
#                  (word-split), e.g. "--user bench -a pw" (bench/acl.sh)
#   T_NAME, R_NAME  names of the two sides in logs and file names (taconite, redis)
#
# Servers always get: --port P --bind 127.0.0.1 --save "" --appendonly no
# (in TLS mode --port 0 --tls-port P and the tls-* files instead of --port P),
# run with their own empty working directory, and are stopped by PID.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)

REDIS_BIN=${REDIS_BIN:-redis-server}
REDIS_CLI=${REDIS_CLI:-redis-cli}
REDIS_BENCH=${REDIS_BENCH:-redis-benchmark}

# Side names used in output. "T" = Taconite (or whatever TACONITE_BIN is), "R" = reference.
SIDES=(T R)
declare -A SIDE_NAME=([T]=${T_NAME:-taconite} [R]=${R_NAME:-redis})
declare -A SIDE_PID=() SIDE_PORT=() SIDE_BIN=()

WORK=$(mktemp -d /tmp/taconite-bench.XXXXXX)

# Client and server arguments of TLS mode; empty otherwise (tls_init).
TLS_CLI=()
TLS_SERVER=()
_bench_failed=1

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# stop_server SIDE: SIGTERM the recorded PID, wait, SIGKILL if it lingers.
stop_server() {
	local side=$1 pid=${SIDE_PID[$1]:-}
	[[ -n $pid ]] || return 0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		local i
		for i in $(seq 1 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			log "${SIDE_NAME[$side]} (pid $pid) did not exit on SIGTERM, sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	wait "$pid" 2>/dev/null || true
	SIDE_PID[$side]=
}

_bench_cleanup() {
	local s
	for s in "${!SIDE_PID[@]}"; do stop_server "$s"; done
	rm -f "$WORK/taconite-bin"
	if [[ ${KEEP:-0} == 1 || $_bench_failed == 1 ]]; then
		log "work directory (logs, raw data): $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap _bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# bench_done: call at the very end of a successful run.
bench_done() {
	machine_note end
	_bench_failed=0
}

# machine_note start|end: print the load average; warn when other jobs compete for the CPUs.
# Our own servers + redis-benchmark account for ~1-2 of it while running.
machine_note() {
	local la cores
	la=$(cut -d' ' -f1-3 /proc/loadavg)
	cores=$(nproc)
	echo "load average at $1: $la ($cores cores)"
	if [[ $1 == start ]] && awk -v l="${la%% *}" -v c="$cores" 'BEGIN { exit !(l > c / 2) }'; then
		echo "WARNING: the machine is busy before the benchmark started; expect extra noise" \
			"(see 'top' for what runs)"
	fi
}

# need_tools: check the redis client tools exist; set up TLS mode if BENCH_TLS=1.
need_tools() {
	machine_note start >&2
	local t
	for t in "$REDIS_CLI" "$REDIS_BENCH" "$REDIS_BIN" awk ss; do
		command -v "$t" >/dev/null 2>&1 || die "missing tool: $t"
	done
	if [[ ${BENCH_TLS:-0} == 1 ]]; then tls_init; fi
}

# tls_init: TLS mode. Generates a CA and a server certificate for 127.0.0.1/localhost
# (EC P-256, openssl) in $WORK/tls; from then on start_server gives both servers the
# same TLS settings (--port 0 --tls-port P --tls-cert-file --tls-key-file
# --tls-ca-cert-file --tls-auth-clients no) and every client connects with
# --tls --cacert (plus TLS_CLIENT_ARGS).
tls_init() {
	local d=$WORK/tls extra=()
	command -v openssl >/dev/null 2>&1 || die "missing tool: openssl"
	mkdir -p "$d"
	{
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
			-subj "/CN=taconite bench CA" -keyout "$d/ca.key" -out "$d/ca.crt" &&
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-subj "/CN=localhost" -keyout "$d/server.key" -out "$d/server.csr" &&
			printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$d/san.cnf" &&
			openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
				-CAcreateserial -days 2 -extfile "$d/san.cnf" -out "$d/server.crt"
	} >"$d/openssl.log" 2>&1 || die "generating the certificates failed: $d/openssl.log"
	TLS_SERVER=(--tls-cert-file "$d/server.crt" --tls-key-file "$d/server.key"
		--tls-ca-cert-file "$d/ca.crt" --tls-auth-clients no)
	read -r -a extra <<<"${TLS_CLIENT_ARGS:-}"
	TLS_CLI=(--tls --cacert "$d/ca.crt" "${extra[@]}")
	log "TLS mode: certificates in $d, client arguments: ${TLS_CLI[*]}"
}

# tls_session SIDE: "protocol cipher" an OpenSSL client negotiates with the server, with
# the suites TLS_CLIENT_ARGS may have set for the clients.
tls_session() {
	local out i opts=()
	for ((i = 0; i + 1 < ${#TLS_CLI[@]}; i++)); do
		case ${TLS_CLI[i]} in
		--tls-ciphersuites) opts+=(-ciphersuites "${TLS_CLI[i + 1]}") ;;
		--tls-ciphers) opts+=(-cipher "${TLS_CLI[i + 1]}") ;;
		esac
	done
	out=$(openssl s_client -connect "127.0.0.1:${SIDE_PORT[$1]}" -CAfile "$WORK/tls/ca.crt" \
		"${opts[@]}" -brief </dev/null 2>&1) || true
	awk -F': *' '/^Protocol version/ { p = $2 } /^Ciphersuite/ { c = $2 } END { print p, c }' <<<"$out"
}

# resolve_taconite: sets SIDE_BIN[T], building ./cmd/taconite unless TACONITE_BIN is set.
resolve_taconite() {
	if [[ -n ${TACONITE_BIN:-} ]]; then
		command -v "$TACONITE_BIN" >/dev/null 2>&1 || die "TACONITE_BIN=$TACONITE_BIN not found"
		SIDE_BIN[T]=$TACONITE_BIN
		TACONITE_DESC=$TACONITE_BIN
	else
		local go=${GO:-}
		if [[ -z $go ]]; then
			if command -v go >/dev/null 2>&1; then go=go; else go=/usr/local/go/bin/go; fi
		fi
		log "building taconite: $go build -o $WORK/taconite-bin ./cmd/taconite"
		(cd "$REPO_DIR" && "$go" build -o "$WORK/taconite-bin" ./cmd/taconite) ||
			die "go build failed (set TACONITE_BIN to benchmark another binary)"
		SIDE_BIN[T]=$WORK/taconite-bin
		TACONITE_DESC="built from $REPO_DIR/cmd/taconite"
	fi
	SIDE_BIN[R]=$REDIS_BIN
}

# free_port: print a TCP port nobody listens on (racy, start_server retries).
free_port() {
	local p i
	for i in $(seq 1 200); do
		p=$((20000 + RANDOM % 40000))
		if [[ -z $(ss -Htan "sport = :$p" 2>/dev/null) ]]; then
			echo "$p"
			return 0
		fi
	done
	die "no free port found"
}

cli() { # cli SIDE args...
	local side=$1
	shift
	"$REDIS_CLI" "${TLS_CLI[@]}" -h 127.0.0.1 -p "${SIDE_PORT[$side]}" "$@"
}

# start_server SIDE: start on a free port with a fresh empty dir; wait for PING.
start_server() {
	local side=$1 name=${SIDE_NAME[$1]} bin=${SIDE_BIN[$1]} attempt port dir pid extra i ports
	# sides whose name starts with T are Taconite instances, the others the reference
	if [[ $side == T* ]]; then extra=${TACONITE_ARGS:-}; else extra=${REDIS_ARGS:-}; fi
	for attempt in 1 2 3 4 5; do
		port=$(free_port)
		dir=$WORK/$name.$port
		mkdir -p "$dir"
		ports=(--port "$port")
		if ((${#TLS_SERVER[@]})); then ports=(--port 0 --tls-port "$port" "${TLS_SERVER[@]}"); fi
		# shellcheck disable=SC2086
		(cd "$dir" && exec "$bin" "${ports[@]}" --bind 127.0.0.1 --save "" --appendonly no $extra) \
			>"$dir/server.log" 2>&1 &
		pid=$!
		SIDE_PID[$side]=$pid
		SIDE_PORT[$side]=$port
		for i in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			if [[ $("$REDIS_CLI" "${TLS_CLI[@]}" -h 127.0.0.1 -p "$port" PING 2>/dev/null) == PONG ]]; then
				log "$name started: pid $pid port $port ($bin)"
				if ((${#TLS_SERVER[@]})); then log "$name TLS session: $(tls_session "$side")"; fi
				return 0
			fi
			sleep 0.1
		done
		log "$name failed to start on port $port (attempt $attempt); log tail:"
		tail -5 "$dir/server.log" >&2 || true
		stop_server "$side"
	done
	die "could not start $name"
}

# check_alive SIDE: die with the log tail if the server is gone.
check_alive() {
	local side=$1 pid=${SIDE_PID[$1]}
	if ! kill -0 "$pid" 2>/dev/null; then
		log "${SIDE_NAME[$side]} (pid $pid) died; log tail:"
		tail -20 "$WORK/${SIDE_NAME[$side]}.${SIDE_PORT[$side]}/server.log" >&2 || true
		SIDE_PID[$side]=
		die "${SIDE_NAME[$side]} died"
	fi
}

# rss_kb SIDE [field]: VmRSS (or another /proc/PID/status field) in kB.
rss_kb() {
	local field=${2:-VmRSS}
	awk -v f="$field:" '$1 == f { print $2 }' "/proc/${SIDE_PID[$1]}/status"
}

# proc_sample SIDE: "syscr syscw utime_ticks stime_ticks" for the whole process.
proc_sample() {
	local pid=${SIDE_PID[$1]} stat rest io_r io_w
	io_r=$(awk '$1 == "syscr:" { print $2 }' "/proc/$pid/io")
	io_w=$(awk '$1 == "syscw:" { print $2 }' "/proc/$pid/io")
	stat=$(<"/proc/$pid/stat")
	rest=${stat##*) }
	# shellcheck disable=SC2086
	set -- $rest # $1 = state (field 3), so utime (field 14) is $12, stime (15) is $13
	echo "$io_r $io_w ${12} ${13}"
}

# gen_strings FIRST COUNT VALUE_LEN: RESP "SET key:%012d <value>" for keys FIRST..FIRST+COUNT-1.
# The key format is the one redis-benchmark uses for key:__rand_int__.
gen_strings() {
	awk -v first="$1" -v n="$2" -v vlen="$3" 'BEGIN {
		v = ""; for (j = 0; j < vlen; j++) v = v "v"
		for (i = first; i < first + n; i++) {
			k = sprintf("key:%012d", i)
			printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, vlen, v
		}
	}'
}

# pipe_load SIDE: feed RESP on stdin through redis-cli --pipe; die on errors.
pipe_load() {
	local side=$1 out
	out=$("$REDIS_CLI" "${TLS_CLI[@]}" -h 127.0.0.1 -p "${SIDE_PORT[$side]}" --pipe 2>&1) || {
		echo "$out" >&2
		die "redis-cli --pipe into ${SIDE_NAME[$side]} failed"
	}
	if ! grep -q 'errors: 0,' <<<"$out"; then
		echo "$out" | tail -3 >&2
		die "redis-cli --pipe into ${SIDE_NAME[$side]} reported errors"
	fi
}

# run_bench SIDE N P TEST [extra args]: run redis-benchmark once, print the CSV data
# line fields "rps p50_ms p99_ms max_ms", or "NA NA NA NA" on failure.
# BENCH_SCRIPT is the script of the evalsha test (issue 7's small script: a
# GET then an INCR of one key); compare.sh loads it on both servers.
BENCH_SCRIPT='redis.call("GET", KEYS[1]) return redis.call("INCR", KEYS[1])'

# custom_cmd names the command line of a test redis-benchmark has no -t for
# (empty for its own tests).
custom_cmd() {
	case $1 in
	publish) echo "PUBLISH channel:__rand_int__ hello" ;;
	setbit) echo "SETBIT bits:__rand_int__ 100 1" ;;
	bitcount) echo "BITCOUNT bits:__rand_int__" ;;
	pfadd) echo "PFADD hll __rand_int__" ;;
	pfcount) echo "PFCOUNT hll" ;;
	geoadd) echo "GEOADD geo 13.__rand_int__ 38.__rand_int__ m:__rand_int__" ;;
	geosearch) echo "GEOSEARCH geo FROMLONLAT 13.01 38.01 BYRADIUS 5 km COUNT 10 ANY" ;;
	xadd) echo "XADD stream * f1 v1 f2 v2 f3 v3" ;;
	xrange) echo "XRANGE stream - + COUNT 10" ;;
	# run after zadd, which fills myzset with random scores
	zrangebyscore) echo "ZRANGEBYSCORE myzset __rand_int__ +inf LIMIT 0 10" ;;
	evalsha) echo "EVALSHA $(printf '%s' "$BENCH_SCRIPT" | sha1sum | cut -c1-40) 1 counter:__rand_int__" ;;
	*) echo "" ;;
	esac
}

run_bench() {
	local side=$1 n=$2 p=$3 t=$4 out line cmd sidevar
	shift 4
	cmd=$(custom_cmd "$t")
	local sel=(-t "$t") sidearg=()
	sidevar=${side}_BENCH_ARGS
	read -r -a sidearg <<<"${!sidevar:-}"
	set -- "$@" "${sidearg[@]}"

	if [[ -n $cmd ]]; then
		read -r -a sel <<<"$cmd"
	fi
	out=$(timeout 300 "$REDIS_BENCH" "${TLS_CLI[@]}" -h 127.0.0.1 -p "${SIDE_PORT[$side]}" \
		-c "${CLIENTS:-50}" -d "${DATASIZE:-64}" -r "${RANGE:-100000}" \
		-P "$p" -n "$n" --csv "$@" "${sel[@]}" 2>"$WORK/bench.err") || true
	line=$(grep -v '^"test"' <<<"$out" | grep '^"' | tail -1 | tr -d '"')
	if [[ -z $line ]] || grep -qi 'error' "$WORK/bench.err"; then
		log "redis-benchmark $t -P $p against ${SIDE_NAME[$side]} failed:"
		head -3 "$WORK/bench.err" >&2
		echo "NA NA NA NA"
		return 0
	fi
	# test,rps,avg,min,p50,p95,p99,max  (the test name has no comma)
	awk -F, '{ print $2, $5, $7, $8 }' <<<"$line"
}

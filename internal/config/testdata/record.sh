#!/usr/bin/env bash
# record.sh — records what a real Redis 7.0 does, for the package's tests.
#
# Usage: internal/config/testdata/record.sh [port]     (default port 16400)
#
# Needs redis-server and redis-cli 7.0 (Debian's 7.0.15 was used). It writes,
# next to this script:
#   redis-7.0-defaults.txt  CONFIG GET * of a server started with only
#                           --port, plus the hidden parameters, as
#                           "name<TAB>value" lines sorted by name;
#   redis-7.0-commands.txt  commands.cases with each command's reply:
#                           "< line" per reply line (CONFIG GET: name and
#                           value lines; error replies without the '-');
#   redis-7.0-load.txt      load.cases with redis-server's output ("out"
#                           lines, the case directory shown as DIR) and
#                           exit status ("rc"), or for "get" cases the
#                           CONFIG GET reply.
# Every server is started by this script on 127.0.0.1 and stopped by PID.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
port=${1:-16400}
work=$(mktemp -d)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

cli() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }

# start_server ARGS...: starts redis-server in $work and waits until it
# answers. It listens on 127.0.0.1 only: "--bind 127.0.0.1" is added
# right after the config file (or first), so the case's own options still
# override it.
start_server() {
	local argv=("$@")
	if [ "${#argv[@]}" -gt 0 ] && [ "${argv[0]:0:1}" != "-" ]; then
		argv=("${argv[0]}" --bind 127.0.0.1 "${argv[@]:1}")
	else
		argv=(--bind 127.0.0.1 "${argv[@]}")
	fi
	(cd "$work" && exec redis-server "${argv[@]}" >"$work/server.log" 2>&1) &
	pid=$!
	for _ in $(seq 100); do
		if cli ping >/dev/null 2>&1; then return 0; fi
		sleep 0.05
	done
	echo "server did not start: $*" >&2
	cat "$work/server.log" >&2
	exit 1
}

stop_server() {
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	pid=
}

hidden="use-exit-on-panic rdb-key-save-delay key-load-delay watchdog-period loading-process-events-interval-bytes lua-enable-deprecated-api"

# 1. Defaults. The server listens on 127.0.0.1 only, so "bind" is recorded
# as 127.0.0.1 rather than its default "* -::*" (the test knows).
start_server --port "$port"
{
	cli config get '*' | paste - -
	for name in $hidden; do cli config get "$name" | paste - -; done
} | LC_ALL=C sort >"$here/redis-7.0-defaults.txt"

# 2. CONFIG SET / GET sequence, on the same default server.
out="$here/redis-7.0-commands.txt"
: >"$out"
while IFS= read -r line; do
	printf '%s\n' "$line" >>"$out"
	case "$line" in '' | '#'*) continue ;; esac
	eval "set -- $line"
	reply=$(cli "$@"; echo x)
	reply=${reply%x}
	if [ "$reply" = $'\n' ]; then
		continue # empty array
	fi
	case "$2" in
	[Ss][Ee][Tt]) reply=${reply%%$'\n'*}$'\n' ;; # raw mode adds a blank line after errors
	esac
	printf '%s' "$reply" | sed 's/^/< /' >>"$out"
done <"$here/commands.cases"
stop_server

# 3. Config files and command lines.
out="$here/redis-7.0-load.txt"
: >"$out"
run_case() { # uses $case_dir, $case_args, $case_get
	local argv
	eval "argv=($case_args)"
	if [ -n "$case_get" ]; then
		start_server "${argv[@]}"
		eval "set -- $case_get"
		cli config get "$@" | sed 's/^/out /' >>"$out"
		stop_server
	else
		local rc=0 text
		text=$(cd "$case_dir" && timeout 5 redis-server "${argv[@]}" 2>&1) || rc=$?
		printf '%s\n' "$text" |
			sed -E 's/^[0-9]+:[A-Z] [0-9]+ [A-Za-z]+ [0-9]+ [0-9:.]+ [#*.-] //' |
			sed "s|$case_dir|DIR|g; s/^/out /" >>"$out"
		echo "rc $rc" >>"$out"
	fi
}
flush_case() {
	if [ -n "$case_title" ]; then run_case; fi
}
case_title= case_args= case_get= case_dir= cur_file=
while IFS= read -r line; do
	case "$line" in
	'=== '*)
		flush_case
		case_title=${line#=== } case_args= case_get= cur_file=
		case_dir="$work/case$RANDOM$RANDOM"
		mkdir -p "$case_dir"
		;;
	'file '*)
		cur_file="$case_dir/${line#file }"
		: >"$cur_file"
		;;
	'|'*)
		text=${line#|}
		text=${text# }
		text=${text//FILE:/$case_dir/}
		text=${text//PORT/$port}
		printf '%s\n' "$text" >>"$cur_file"
		;;
	'args '*)
		case_args=${line#args }
		case_args=${case_args//FILE:/$case_dir/}
		case_args=${case_args//PORT/$port}
		;;
	'get '*) case_get=${line#get } ;;
	esac
	printf '%s\n' "$line" >>"$out"
	# The case's output goes right after its last line; the next "===" or
	# the end of the file triggers it.
	:
done < <(cat "$here/load.cases"; echo "=== end")
# The sentinel "=== end" case is not a real one; drop what it added.
sed -i '/^=== end$/,$d' "$out"

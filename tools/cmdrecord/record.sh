#!/bin/sh
# Re-record internal/command/data/commands.json and the command package's
# testdata from a throwaway redis-server 7.0 (Debian: apt-get install
# redis-server). Usage: tools/cmdrecord/record.sh  (from anywhere)
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
server=${REDIS_SERVER:-redis-server}
cli=${REDIS_CLI:-redis-cli}

"$server" --version | grep -q 'v=7\.0\.' || {
	echo "record.sh: $server is not Redis 7.0" >&2
	exit 1
}

pid=
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT INT TERM

# Find a free port: something nobody answers on, then make sure our server
# really came up there (another process could take it in between).
tries=0
while :; do
	tries=$((tries + 1))
	[ "$tries" -le 20 ] || { echo "record.sh: could not start redis-server" >&2; exit 1; }
	port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 ))
	if "$cli" -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1; then
		continue
	fi
	"$server" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
		--daemonize no --logfile "" --loglevel warning >/dev/null 2>&1 &
	pid=$!
	up=0
	i=0
	while [ "$i" -lt 100 ]; do
		if ! kill -0 "$pid" 2>/dev/null; then
			break
		fi
		if "$cli" -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
			up=1
			break
		fi
		i=$((i + 1))
		sleep 0.1
	done
	[ "$up" = 1 ] && break
	cleanup
	pid=
done

go run ./tools/cmdrecord -addr "127.0.0.1:$port" \
	-out internal/command/data/commands.json \
	-testdata internal/command/testdata

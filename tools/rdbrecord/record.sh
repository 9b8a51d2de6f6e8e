#!/usr/bin/env bash
# record.sh re-records testdata/rdb/*.rdb with a real redis-server 7.0:
# it starts one on a free 127.0.0.1 port in a temporary directory, fills
# it with every type in its small and big encodings (fill.txt: binary keys,
# expiries, several databases), SAVEs and copies dump.rdb. The file's aux
# fields (ctime, used-mem) change on every run; the contents do not.
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVER=${REDIS_SERVER:-redis-server}
CLI=${REDIS_CLI:-redis-cli}
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$SERVER" --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no --daemonize no >"$dir/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 100); do
	"$CLI" -p "$port" ping >/dev/null 2>&1 && break
	sleep 0.05
done
"$CLI" -p "$port" <tools/rdbrecord/fill.txt >/dev/null
cp "$dir/dump.rdb" testdata/rdb/redis7-all-types.rdb
# The same data with rdbcompression off.
"$CLI" -p "$port" config set rdbcompression no >/dev/null
"$CLI" -p "$port" save >/dev/null
cp "$dir/dump.rdb" testdata/rdb/redis7-uncompressed.rdb
"$CLI" -p "$port" shutdown nosave >/dev/null 2>&1 || true
wait $pid 2>/dev/null || true
echo "recorded testdata/rdb/redis7-all-types.rdb and redis7-uncompressed.rdb"

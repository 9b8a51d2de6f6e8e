#!/usr/bin/env bash
# bench.sh compares RDB save and load of 1M mixed keys (strings, small
# hashes, lists, sets, sorted sets) between redis-server 7.0 and Taconite.
# redis-server builds the data (Lua), saves it, and Taconite loads that
# file, saves it back, and redis-server loads Taconite's file.
# Usage: tools/rdbrecord/bench.sh [taconite-binary] (default bin/taconite)
set -euo pipefail
TAC=${1:-bin/taconite}
N=${N:-1000000}
dir=$(mktemp -d)
mkdir -p "$dir/r" "$dir/t"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# wait_up waits for PONG: while a file loads, PING answers -LOADING.
wait_up() { for _ in $(seq 1200); do [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ] && return; sleep 0.05; done; echo "server on $1 did not start"; exit 1; }
now() { date +%s.%N; }
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; done; rm -rf "$dir"' EXIT

rp=$(free_port)
redis-server --port "$rp" --bind 127.0.0.1 --dir "$dir/r" --save "" --appendonly no >"$dir/r/log" 2>&1 &
pids+=($!); wait_up "$rp"
redis-cli -p "$rp" eval "
for i=1,tonumber(ARGV[1]) do
  local k = 'key:' .. i
  local m = i % 5
  if m == 0 then redis.call('set', k, 'value-' .. i .. '-' .. string.rep('x', i % 40))
  elseif m == 1 then redis.call('hset', k, 'a', i, 'b', 'text' .. i, 'c', 'more')
  elseif m == 2 then redis.call('rpush', k, 'a', i, 'c', 'ddddd')
  elseif m == 3 then redis.call('sadd', k, i, i+1, i+2)
  else redis.call('zadd', k, 1, 'one', 2.5, 'two', i, 'three') end
end return 1" 0 "$N" >/dev/null
t0=$(now); redis-cli -p "$rp" save >/dev/null; t1=$(now)
echo "redis-server SAVE:  $(echo "$t1 - $t0" | bc) s ($(stat -c %s "$dir/r/dump.rdb") bytes)"
cp "$dir/r/dump.rdb" "$dir/t/dump.rdb"
redis-cli -p "$rp" shutdown nosave >/dev/null 2>&1 || true
rp2=$(free_port)
t0=$(now)
redis-server --port "$rp2" --bind 127.0.0.1 --dir "$dir/r" --save "" --appendonly no >"$dir/r/log2" 2>&1 &
pids+=($!); wait_up "$rp2"
until grep -q 'DB loaded from disk' "$dir/r/log2"; do sleep 0.01; done; t1=$(now)
echo "redis-server load:  $(echo "$t1 - $t0" | bc) s (start to first PING; log: $(grep -o 'DB loaded from disk: [0-9.]* seconds' "$dir/r/log2"))"

tp=$(free_port)
t0=$(now)
"$TAC" --port "$tp" --bind 127.0.0.1 --dir "$dir/t" --save "" --appendonly no >"$dir/t/log" 2>&1 &
pids+=($!); wait_up "$tp"; t1=$(now)
echo "taconite load:      $(echo "$t1 - $t0" | bc) s (start to first PING; log: $(grep -o 'DB loaded from disk: [0-9.]* seconds' "$dir/t/log"))"
echo "keys: redis $(redis-cli -p "$rp2" dbsize) taconite $(redis-cli -p "$tp" dbsize)"
t0=$(now); redis-cli -p "$tp" save >/dev/null; t1=$(now)
echo "taconite SAVE:      $(echo "$t1 - $t0" | bc) s ($(stat -c %s "$dir/t/dump.rdb") bytes)"
t0=$(now); redis-cli -p "$tp" bgsave >/dev/null
until [ "$(redis-cli -p "$tp" info persistence | grep -c 'rdb_bgsave_in_progress:0')" = 1 ] && grep -q 'Background saving terminated' "$dir/t/log"; do sleep 0.02; done
t1=$(now)
echo "taconite BGSAVE:    $(echo "$t1 - $t0" | bc) s"
redis-check-rdb "$dir/t/dump.rdb" | tail -1

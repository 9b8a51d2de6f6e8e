#!/usr/bin/env bash
# redis-cli (Debian's redis-tools 7.0) against the server at
# E2E_HOST:E2E_PORT: one-shot commands and their output formats, stdin
# input, --pipe mass insertion, --scan, --bigkeys, --memkeys, --latency,
# --stat, MONITOR, --eval, --rdb.
set -uo pipefail
SCENARIO=redis-cli
# shellcheck source=tools/lib.sh
. "$(dirname "$0")/lib.sh"

basics() {
  cli flushall >/dev/null
  expect PONG "$(cli ping)" PING
  expect OK "$(cli set greeting hello)" SET
  expect hello "$(cli get greeting)" GET
  expect "" "$(cli get missing)" "GET of a missing key (raw output prints nothing)"
  expect 1 "$(cli incr counter)" INCR
  expect 11 "$(cli incrby counter 10)" INCRBY
  expect 1 "$(cli exists greeting)" EXISTS
  expect "$(printf 'hello\n\n11')" "$(cli mget greeting missing counter)" MGET
  expect 1 "$(cli expire greeting 100)" EXPIRE
  expect_match '^(99|100)$' "$(cli ttl greeting)" TTL
  expect 2 "$(cli del greeting counter)" DEL
  expect 0 "$(cli dbsize)" DBSIZE
}

exit_codes() {
  cli set text abc >/dev/null
  local out
  out="$(cli incr text 2>&1)" # without -e an error reply still exits 0
  expect "ERR value is not an integer or out of range" "$out" "error reply text"
  if cli -e incr text >/dev/null 2>&1; then
    echo "redis-cli -e exited 0 on an error reply"
    return 1
  fi
  out="$(cli nosuchcommand a b 2>&1)"
  expect_match "^ERR unknown command 'nosuchcommand', with args beginning with: 'a' 'b' " "$out" "unknown command"
}

databases() {
  cli -n 5 set where five >/dev/null
  expect five "$(cli -n 5 get where)" "GET in db 5"
  expect "" "$(cli get where)" "GET in db 0"
  expect_match '^db5:keys=1,expires=0' "$(cli info keyspace)" "INFO keyspace"
  expect OK "$(cli -n 5 flushdb)" FLUSHDB
  expect 0 "$(cli -n 5 dbsize)" "DBSIZE after FLUSHDB"
}

stdin_arg() {
  printf 'line1\r\nline2\0end' | cli -x set blob >/dev/null
  expect 16 "$(cli strlen blob)" "STRLEN of a value read by -x"
  expect '"line1\r\nline2\x00end"' "$(cli --no-raw get blob)" "quoted GET of the binary value"
}

stdin_commands() {
  local out
  out="$(printf 'set a 1\nincr a\nget a\nappend a "x y"\n' | cli)"
  expect "$(printf 'OK\n2\n2\n4')" "$out" "commands read from stdin"
  expect "2x y" "$(cli get a)" "quoted argument"
}

output_formats() {
  cli del a b >/dev/null
  cli set a 1 >/dev/null
  expect '"1"' "$(cli --no-raw get a)" "--no-raw bulk"
  expect '(nil)' "$(cli --no-raw get b)" "--no-raw nil"
  expect '(integer) 2' "$(cli --no-raw incr a)" "--no-raw integer"
  expect '"2",NULL' "$(cli --csv mget a b)" "--csv"
  expect '["2",null]' "$(cli --json mget a b)" "--json"
  expect "$(printf '1) "2"\n2) (nil)')" "$(cli --no-raw mget a b)" "--no-raw array"
}

resp3() {
  expect "maxmemory-policy noeviction" "$(cli -3 config get maxmemory-policy)" "-3 map, raw (one pair a line)"
  expect '1# "maxmemory-policy" => "noeviction"' "$(cli -3 --no-raw config get maxmemory-policy)" "-3 map, --no-raw"
  local hello
  hello="$(cli -3 hello 3)"
  expect_match '^server redis$' "$hello" "HELLO 3 server"
  expect_match '^proto 3$' "$hello" "HELLO 3 proto"
  expect_match '^version 7\.0\.[0-9]+$' "$hello" "HELLO 3 version"
  expect '"1.5"' "$(cli -3 --no-raw incrbyfloat f 1.5)" "INCRBYFLOAT stays a bulk string"
  expect '(nil)' "$(cli -3 --no-raw get nothing)" "RESP3 null"
}

repeat() {
  cli del r >/dev/null
  expect "$(printf '1\n2\n3\n4\n5')" "$(cli -r 5 incr r)" "-r 5"
  expect "$(printf 'PONG\nPONG')" "$(cli -r 2 -i 0.01 ping)" "-r 2 -i 0.01"
}

auth() {
  cli config set requirepass s3cret >/dev/null
  local ok=0
  {
    expect PONG "$(cli -a s3cret --no-auth-warning ping)" "-a" &&
      expect PONG "$(cli --user default --pass s3cret --no-auth-warning ping)" "--user --pass" &&
      expect PONG "$(REDISCLI_AUTH=s3cret cli ping)" "REDISCLI_AUTH" &&
      expect_match '^NOAUTH Authentication required' "$(cli ping 2>&1)" "no password" &&
      expect_match '^AUTH failed: WRONGPASS' "$(cli -a nope --no-auth-warning ping 2>&1)" "wrong password"
  } || ok=1
  cli -a s3cret --no-auth-warning config set requirepass "" >/dev/null
  expect PONG "$(cli ping)" "PING after clearing requirepass"
  return $ok
}

pipe_mass_insert() {
  cli flushall >/dev/null
  # 20000 SETs in the wire protocol, as the mass-insertion guide builds them.
  awk 'BEGIN {
    for (i = 0; i < 20000; i++) {
      k = "mass:" i; v = "value-" i
      printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
    }
    printf "*2\r\n$4\r\nINCR\r\n$6\r\nmass:0\r\n"
  }' >"$E2E_SCRATCH/mass.txt"
  local out status=0
  out="$(timeout 30 redis-cli -h "$E2E_HOST" -p "$E2E_PORT" --pipe <"$E2E_SCRATCH/mass.txt" 2>&1)" || status=$?
  expect_match '^errors: 1, replies: 20001$' "$out" "--pipe summary (one INCR on a non-number)"
  expect 1 "$status" "--pipe exit status when a reply was an error"
  expect 20000 "$(cli dbsize)" "DBSIZE after --pipe"
  expect value-19999 "$(cli get mass:19999)" "last key"
}

scan() {
  cli flushall >/dev/null
  for i in $(seq 1 300); do echo "SET user:$i x"; done | cli >/dev/null
  cli mset other 1 "odd key" 2 >/dev/null
  expect 300 "$(cli --scan --pattern 'user:*' | sort -u | wc -l)" "--scan --pattern"
  expect 302 "$(cli --scan | sort -u | wc -l)" "--scan"
  expect "odd key" "$(cli --scan --quoted-pattern '"odd*"')" "--scan --quoted-pattern"
  expect "user:42" "$(cli --scan --pattern 'user:42')" "exact pattern"
}

bigkeys_strings() {
  cli flushall >/dev/null
  cli set small x >/dev/null
  cli set big "$(head -c 5000 /dev/zero | tr '\0' 'b')" >/dev/null
  cli set medium 12345 >/dev/null
  local out
  out="$(cli --bigkeys)"
  expect_match "^Sampled 3 keys in the keyspace!$" "$out" "sampled"
  expect_match "^Biggest string found '\"big\"' has 5000 bytes$" "$out" "biggest string"
  expect_match '^3 strings with 5006 bytes \(100\.00% of keys, avg size 1668\.67\)$' "$out" "string totals"
}

bigkeys_all_types() {
  cli flushall >/dev/null
  cli set s "$(head -c 100 /dev/zero | tr '\0' 's')" >/dev/null
  cli rpush l a b c >/dev/null
  cli hset h f1 v f2 v >/dev/null
  cli sadd st a b c d >/dev/null
  cli zadd z 1 a >/dev/null
  cli xadd x '*' f v >/dev/null
  local out
  out="$(cli --bigkeys)"
  expect_match "^Sampled 6 keys in the keyspace!$" "$out" "sampled"
  expect_match "^Biggest   list found '\"l\"' has 3 items$" "$out" "list"
  expect_match "^Biggest   hash found '\"h\"' has 2 fields$" "$out" "hash"
  expect_match "^Biggest    set found '\"st\"' has 4 members$" "$out" "set"
  expect_match "^Biggest   zset found '\"z\"' has 1 members$" "$out" "zset"
  expect_match "^Biggest stream found '\"x\"' has 1 entries$" "$out" "stream"
}

memkeys() {
  cli flushall >/dev/null
  cli set tiny x >/dev/null
  cli set huge "$(head -c 20000 /dev/zero | tr '\0' 'h')" >/dev/null
  local out
  out="$(cli --memkeys)"
  expect_match "^Sampled 2 keys in the keyspace!$" "$out" "sampled"
  expect_match "^Biggest string found '\"huge\"' has [0-9]+ bytes$" "$out" "biggest by MEMORY USAGE"
}

latency() {
  # Not on a terminal, --latency samples for one interval, prints
  # "min max avg samples" once and exits.
  local out
  out="$(cli --latency -i 1)"
  expect_match '^[0-9]+ [0-9]+ [0-9]+\.[0-9]{2} [0-9]+$' "$out" "--latency summary"
  local samples
  samples="$(awk '{print $4}' <<<"$out")"
  [ "$samples" -ge 10 ] || { echo "--latency took only $samples samples"; return 1; }
}

stat_mode() {
  # --stat runs until stopped: bound it, line-buffered so rows are not lost.
  local out
  out="$(timeout 3.5 stdbuf -oL redis-cli -h "$E2E_HOST" -p "$E2E_PORT" --stat -i 1 || true)"
  expect_match '^------- data ------ -+ load -+ - child -$' "$out" "header"
  local rows
  rows="$(grep -Ec '^[0-9]+ +[0-9.]+[BKMG] +[0-9]+ +[0-9]+ +[0-9]+ \(\+[0-9]+\) +[0-9]+' <<<"$out")"
  [ "$rows" -ge 2 ] || { echo "--stat printed $rows data rows: $out"; return 1; }
}

info_sections() {
  local out
  out="$(cli info server)"
  expect_match '^redis_version:7\.0\.[0-9]+' "$out" "redis_version"
  expect_match '^tcp_port:'"$E2E_PORT" "$out" "tcp_port"
  expect_match '^connected_clients:[0-9]+' "$(cli info clients)" "connected_clients"
  expect_match '^maxmemory_policy:noeviction' "$(cli info memory)" "maxmemory_policy"
}

monitor() {
  local log="$E2E_SCRATCH/monitor.log"
  timeout 10 stdbuf -oL redis-cli -h "$E2E_HOST" -p "$E2E_PORT" monitor >"$log" 2>&1 &
  local pid=$!
  local deadline=$((SECONDS + 5))
  until grep -q '^OK$' "$log" || [ $SECONDS -ge $deadline ]; do sleep 0.02; done
  cli -n 3 set watched "a b" >/dev/null
  deadline=$((SECONDS + 5))
  until grep -q '"set" "watched"' "$log" || [ $SECONDS -ge $deadline ]; do sleep 0.02; done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  expect_match '^[0-9]+\.[0-9]{6} \[3 127\.0\.0\.1:[0-9]+\] "set" "watched" "a b"$' "$(cat "$log")" "MONITOR line"
}

eval_script() {
  printf "return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}" >"$E2E_SCRATCH/s.lua"
  cli del evk >/dev/null
  expect "$(printf 'evk\narg\n1')" "$(cli --eval "$E2E_SCRATCH/s.lua" evk , arg)" "--eval"
}

subscribe() {
  local log="$E2E_SCRATCH/sub.log"
  timeout 10 stdbuf -oL redis-cli -h "$E2E_HOST" -p "$E2E_PORT" subscribe news >"$log" 2>&1 &
  local pid=$!
  local deadline=$((SECONDS + 5))
  until [ "$(cli pubsub numsub news | tail -1)" = 1 ] || [ $SECONDS -ge $deadline ]; do sleep 0.02; done
  expect 1 "$(cli publish news hello)" "PUBLISH receivers"
  deadline=$((SECONDS + 5))
  until grep -q '^hello$' "$log" || [ $SECONDS -ge $deadline ]; do sleep 0.02; done
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  expect "$(printf 'subscribe\nnews\n1\nmessage\nnews\nhello')" "$(cat "$log")" "subscriber output"
}

rdb() {
  cli set persisted yes >/dev/null
  local out
  out="$(cli --rdb "$E2E_SCRATCH/dump.rdb" 2>&1)" || true
  expect_match '^Transfer finished with success' "$out" "--rdb"
  expect REDIS0010 "$(head -c 9 "$E2E_SCRATCH/dump.rdb")" "RDB header"
}

check basics basics
check exit-codes exit_codes
check databases databases
check stdin-x stdin_arg
check stdin-commands stdin_commands
check output-formats output_formats
check resp3 resp3
check repeat repeat
check auth auth
check pipe-mass-insert pipe_mass_insert
check scan scan
check bigkeys-strings bigkeys_strings
check bigkeys-all-types bigkeys_all_types
check memkeys memkeys
check latency latency
check stat stat_mode
check info info_sections
check monitor monitor
check eval eval_script
check subscribe subscribe
check rdb rdb
done_scenario

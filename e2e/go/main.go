// Command taconite-e2e drives go-redis v9 (RESP3 by default) against the
// server at E2E_HOST:E2E_PORT: handshake in both protocols, strings, keys,
// expiry, SCAN, pipelines, transactions with WATCH, pub/sub, scripts,
// functions, collections, blocking commands and streams.
//
// It is its own Go module so that the main module's `go test ./...` neither
// runs it nor needs go-redis. Run it through e2e/run.sh, or by hand:
// E2E_PORT=6379 go run .
package main

import (
	"fmt"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

var addr = net.JoinHostPort(env("E2E_HOST", "127.0.0.1"), env("E2E_PORT", "6379"))

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// client returns a client bounded in every way: a broken server must fail
// checks, never hang them.
func client(change func(o *redis.Options)) *redis.Client {
	o := &redis.Options{
		Addr:         addr,
		DialTimeout:  5 * time.Second,
		ReadTimeout:  5 * time.Second,
		WriteTimeout: 5 * time.Second,
		MaxRetries:   1,
	}
	if change != nil {
		change(o)
	}
	return redis.NewClient(o)
}

func main() {
	r := &runner{failed: map[string]bool{}}

	r.check("connect-resp3", opt{}, func(t *T) {
		c := client(func(o *redis.Options) { o.ClientName = "e2e-go"; o.DB = 4 })
		defer c.Close()
		t.Eq(c.Ping(t.ctx).Val(), "PONG", "PING")
		info, err := c.ClientInfo(t.ctx).Result()
		t.NoErr(err)
		t.Eq([]any{info.Resp, info.DB, info.Name}, []any{3, 4, "e2e-go"}, "CLIENT INFO resp, db, name")
		hello, err := c.Do(t.ctx, "HELLO", "3").Result()
		t.NoErr(err)
		m, ok := hello.(map[any]any)
		t.True(ok, fmt.Sprintf("HELLO 3 reply is a map, got %T", hello))
		t.Eq([]any{m["server"], m["proto"]}, []any{"redis", int64(3)}, "HELLO server, proto")
		t.True(strings.HasPrefix(fmt.Sprint(m["version"]), "7."), "HELLO version 7.x")
		cfg, err := c.ConfigGet(t.ctx, "maxmemory-policy").Result()
		t.NoErr(err)
		t.Eq(cfg, map[string]string{"maxmemory-policy": "noeviction"}, "CONFIG GET (a RESP3 map)")
	})

	r.check("connect-resp2", opt{}, func(t *T) {
		c := client(func(o *redis.Options) { o.Protocol = 2 })
		defer c.Close()
		info, err := c.ClientInfo(t.ctx).Result()
		t.NoErr(err)
		t.Eq(info.Resp, 2, "CLIENT INFO resp")
		cfg, err := c.ConfigGet(t.ctx, "maxmemory-policy").Result()
		t.NoErr(err)
		t.Eq(cfg, map[string]string{"maxmemory-policy": "noeviction"}, "CONFIG GET (a RESP2 array)")
	})

	r.check("resp3-replies", opt{}, func(t *T) {
		c := client(nil)
		defer c.Close()
		t.NoErr(c.FlushAll(t.ctx).Err())
		_, err := c.Do(t.ctx, "GET", "missing").Result()
		t.Eq(err, redis.Nil, "RESP3 null")
		v, err := c.Do(t.ctx, "INCRBYFLOAT", "f", "1.5").Result()
		t.NoErr(err)
		t.Eq(v, "1.5", "INCRBYFLOAT is a bulk string in RESP3 too")
		v, err = c.Do(t.ctx, "EXISTS", "f").Result()
		t.NoErr(err)
		t.Eq(v, int64(1), "integer")
		_, err = c.Do(t.ctx, "NOSUCHCOMMAND").Result()
		t.True(err != nil && strings.HasPrefix(err.Error(), "ERR unknown command 'NOSUCHCOMMAND'"), fmt.Sprintf("error reply %v", err))
	})

	r.check("strings", opt{}, func(t *T) {
		c := client(nil)
		defer c.Close()
		ctx := t.ctx
		t.NoErr(c.FlushDB(ctx).Err())
		t.Eq(c.Set(ctx, "k", "v", time.Minute).Val(), "OK", "SET EX")
		t.Eq(c.Get(ctx, "k").Val(), "v", "GET")
		_, err := c.Get(ctx, "nope").Result()
		t.Eq(err, redis.Nil, "GET missing")
		t.Eq(c.SetNX(ctx, "k", "x", 0).Val(), false, "SETNX")
		old, err := c.SetArgs(ctx, "k", "w", redis.SetArgs{KeepTTL: true, Get: true}).Result()
		t.NoErr(err)
		t.Eq(old, "v", "SET KEEPTTL GET")
		ttl := c.TTL(ctx, "k").Val()
		t.True(ttl > 55*time.Second && ttl <= time.Minute, fmt.Sprintf("TTL kept: %v", ttl))
		t.NoErr(c.MSet(ctx, "a", 1, "b", 2).Err())
		t.Eq(c.MGet(ctx, "a", "b", "nope").Val(), []any{"1", "2", nil}, "MGET")
		t.Eq(c.IncrBy(ctx, "a", 41).Val(), int64(42), "INCRBY")
		t.Eq(c.IncrByFloat(ctx, "b", 0.25).Val(), 2.25, "INCRBYFLOAT")
		t.Eq(c.GetEx(ctx, "k", 0).Val(), "w", "GETEX")
		t.Eq(c.GetDel(ctx, "k").Val(), "w", "GETDEL")
		t.Eq(c.Exists(ctx, "k").Val(), int64(0), "EXISTS after GETDEL")
		t.Eq(c.Append(ctx, "s", "ab").Val(), int64(2), "APPEND")
		t.Eq(c.GetRange(ctx, "s", 1, 1).Val(), "b", "GETRANGE")
	})

	r.check("keys-expiry", opt{}, func(t *T) {
		c := client(nil)
		defer c.Close()
		ctx := t.ctx
		t.NoErr(c.FlushDB(ctx).Err())
		t.NoErr(c.Set(ctx, "e", "v", 0).Err())
		t.Eq(c.Expire(ctx, "e", 100*time.Second).Val(), true, "EXPIRE")
		t.Eq(c.ExpireGT(ctx, "e", 10*time.Second).Val(), false, "EXPIRE GT")
		at := time.Now().Add(time.Hour).Truncate(time.Second)
		t.Eq(c.ExpireAt(ctx, "e", at).Val(), true, "EXPIREAT")
		t.Eq(c.ExpireTime(ctx, "e").Val(), time.Duration(at.Unix())*time.Second, "EXPIRETIME")
		t.Eq(c.Persist(ctx, "e").Val(), true, "PERSIST")
		t.Eq(c.TTL(ctx, "e").Val(), time.Duration(-1), "TTL after PERSIST")
		t.Eq(c.Type(ctx, "e").Val(), "string", "TYPE")
		t.Eq(c.Rename(ctx, "e", "f").Val(), "OK", "RENAME")
		t.Eq(c.Unlink(ctx, "f", "nope").Val(), int64(1), "UNLINK")
		t.NoErr(c.Set(ctx, "short", "v", 30*time.Millisecond).Err())
		deadline := time.Now().Add(5 * time.Second)
		for c.Exists(ctx, "short").Val() == 1 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		t.Eq(c.Exists(ctx, "short").Val(), int64(0), "key with a 30 ms TTL after its expiry")
	})

	r.check("scan-iterator", opt{}, func(t *T) {
		c := client(nil)
		defer c.Close()
		ctx := t.ctx
		t.NoErr(c.FlushDB(ctx).Err())
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := 0; i < 700; i++ {
				p.Set(ctx, fmt.Sprintf("k:%d", i), i, 0)
			}
			p.Set(ctx, "other", 1, 0)
			return nil
		})
		t.NoErr(err)
		seen := map[string]bool{}
		iter := c.Scan(ctx, 0, "k:*", 64).Iterator()
		for iter.Next(ctx) {
			seen[iter.Val()] = true
		}
		t.NoErr(iter.Err())
		t.Eq(len(seen), 700, "keys seen by SCAN MATCH")
		keys, _, err := c.ScanType(ctx, 0, "oth*", 1000, "string").Result()
		t.NoErr(err)
		t.Eq(keys, []string{"other"}, "SCAN TYPE")
	})

	r.check("pipeline", opt{}, func(t *T) {
		c := client(nil)
		defer c.Close()
		ctx := t.ctx
		t.NoErr(c.FlushDB(ctx).Err())
		var get *redis.StringCmd
		var incr, bad *redis.IntCmd
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "p", "text", 0)
			bad = p.Incr(ctx, "p")
			incr = p.Incr(ctx, "n")
			get = p.Get(ctx, "p")
			return nil
		})
		t.True(err != nil && strings.Contains(err.Error(), "not an integer"), fmt.Sprintf("pipeline error %v", err))
		t.True(bad.Err() != nil, "INCR on text failed in place")
		t.Eq(incr.Val(), int64(1), "INCR after a failed command")
		t.Eq(get.Val(), "text", "GET")
		cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := 0; i < 10000; i++ {
				p.Incr(ctx, "big")
			}
			return nil
		})
		t.NoErr(err)
		t.Eq(cmds[9999].(*redis.IntCmd).Val(), int64(10000), "10000th reply of a large pipeline")
	})

	r.check("sticky-conn", opt{}, func(t *T) {
		c := client(nil)
		defer c.Close()
		ctx := t.ctx
		conn := c.Conn()
		defer conn.Close()
		t.NoErr(conn.Select(ctx, 7).Err())
		t.NoErr(conn.ClientSetName(ctx, "sticky").Err())
		t.NoErr(conn.Set(ctx, "in7", "yes", 0).Err())
		t.Eq(conn.ClientGetName(ctx).Val(), "sticky", "CLIENT GETNAME")
		t.Eq(c.Exists(ctx, "in7").Val(), int64(0), "db 0 does not see db 7")
		c7 := client(func(o *redis.Options) { o.DB = 7 })
		defer c7.Close()
		t.Eq(c7.Get(ctx, "in7").Val(), "yes", "db 7")
	})

	r.check("tx-pipeline", opt{}, func(t *T) {
		c := client(nil)
		defer c.Close()
		ctx := t.ctx
		var incr *redis.IntCmd
		cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "tx", 10, 0)
			incr = p.IncrBy(ctx, "tx", 5)
			return nil
		})
		t.NoErr(err)
		t.Eq(len(cmds), 2, "replies")
		t.Eq(incr.Val(), int64(15), "INCRBY inside MULTI")
	})

	r.check("watch", opt{}, func(t *T) {
		c := client(nil)
		defer c.Close()
		other := client(nil)
		defer other.Close()
		ctx := t.ctx
		t.NoErr(c.Set(ctx, "w", 1, 0).Err())
		err := c.Watch(ctx, func(tx *redis.Tx) error {
			n, err := tx.Get(ctx, "w").Int()
			if err != nil {
				return err
			}
			if err := other.Set(ctx, "w", 100, 0).Err(); err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, "w", n+1, 0)
				return nil
			})
			return err
		}, "w")
		t.Eq(err, redis.TxFailedErr, "EXEC after a concurrent write")
		t.Eq(c.Get(ctx, "w").Val(), "100", "value")
	})

	r.check("pubsub", opt{}, func(t *T) {
		c := client(nil)
		defer c.Close()
		ctx := t.ctx
		ps := c.Subscribe(ctx, "news")
		defer ps.Close()
		_, err := ps.Receive(ctx) // the subscription confirmation
		t.NoErr(err)
		t.NoErr(ps.PSubscribe(ctx, "ev.*"))
		ch := ps.Channel()
		deadline := time.Now().Add(5 * time.Second)
		for c.PubSubNumPat(ctx).Val() < 1 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		t.Eq(c.Publish(ctx, "news", "hello").Val(), int64(1), "PUBLISH receivers")
		t.Eq(c.Publish(ctx, "ev.one", "x").Val(), int64(1), "PUBLISH to a pattern")
		var got []string
		for len(got) < 2 {
			select {
			case m := <-ch:
				got = append(got, m.Pattern+"|"+m.Channel+"|"+m.Payload)
			case <-time.After(5 * time.Second):
				t.Fatalf("messages received: %v", got)
			}
		}
		t.Eq(got, []string{"|news|hello", "ev.*|ev.one|x"}, "messages")
		t.Eq(c.PubSubNumSub(ctx, "news").Val(), map[string]int64{"news": 1}, "PUBSUB NUMSUB")
	})

	r.check("scripts", opt{}, func(t *T) {
		c := client(nil)
		defer c.Close()
		ctx := t.ctx
		t.NoErr(c.Del(ctx, "sc").Err())
		incr := redis.NewScript(`return redis.call('INCRBY', KEYS[1], ARGV[1])`)
		t.Eq(incr.Run(ctx, c, []string{"sc"}, 5).Val(), int64(5), "script (EVALSHA, EVAL on NOSCRIPT)")
		t.NoErr(c.ScriptFlush(ctx).Err())
		t.Eq(incr.Run(ctx, c, []string{"sc"}, 5).Val(), int64(10), "after SCRIPT FLUSH")
		sha, err := c.ScriptLoad(ctx, "return {ARGV[1], 2, {3}}").Result()
		t.NoErr(err)
		v, err := c.EvalSha(ctx, sha, nil, "one").Result()
		t.NoErr(err)
		t.Eq(v, []any{"one", int64(2), []any{int64(3)}}, "EVALSHA nested reply")
		t.Eq(c.EvalRO(ctx, "return redis.call('GET', KEYS[1])", []string{"sc"}).Val(), "10", "EVAL_RO")
		_, err = c.EvalSha(ctx, strings.Repeat("0", 40), nil).Result()
		t.True(err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT"), fmt.Sprintf("NOSCRIPT error: %v", err))
	})

	r.check("functions", opt{}, func(t *T) {
		c := client(nil)
		defer c.Close()
		ctx := t.ctx
		code := "#!lua name=e2ego\nredis.register_function('sum', function(keys, args) return args[1] + args[2] end)"
		lib, err := c.FunctionLoadReplace(ctx, code).Result()
		t.NoErr(err)
		t.Eq(lib, "e2ego", "FUNCTION LOAD")
		t.Eq(c.FCall(ctx, "sum", nil, 40, 2).Val(), int64(42), "FCALL")
		t.NoErr(c.FunctionDelete(ctx, "e2ego").Err())
	})

	r.check("collections", opt{}, func(t *T) {
		c := client(nil)
		defer c.Close()
		ctx := t.ctx
		t.NoErr(c.FlushDB(ctx).Err())
		t.Eq(c.HSet(ctx, "h", "a", 1, "b", 2).Val(), int64(2), "HSET")
		t.Eq(c.HGetAll(ctx, "h").Val(), map[string]string{"a": "1", "b": "2"}, "HGETALL (a RESP3 map)")
		t.Eq(c.RPush(ctx, "l", "x", "y").Val(), int64(2), "RPUSH")
		t.Eq(c.LRange(ctx, "l", 0, -1).Val(), []string{"x", "y"}, "LRANGE")
		t.Eq(c.SAdd(ctx, "s", "m", "n").Val(), int64(2), "SADD")
		members := c.SMembers(ctx, "s").Val()
		sort.Strings(members)
		t.Eq(members, []string{"m", "n"}, "SMEMBERS (a RESP3 set)")
		t.Eq(c.ZAdd(ctx, "z", redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: 2, Member: "b"}).Val(), int64(2), "ZADD")
		t.Eq(c.ZScore(ctx, "z", "a").Val(), 1.5, "ZSCORE (a RESP3 double)")
		t.Eq(c.ZRangeWithScores(ctx, "z", 0, -1).Val(), []redis.Z{{Score: 1.5, Member: "a"}, {Score: 2, Member: "b"}}, "ZRANGE WITHSCORES")
		v, err := c.Do(ctx, "HGETALL", "h").Result()
		t.NoErr(err)
		t.Eq(v, map[any]any{"a": "1", "b": "2"}, "raw HGETALL in RESP3")
	})

	r.check("blocking", opt{}, func(t *T) {
		c := client(nil)
		defer c.Close()
		ctx := t.ctx
		t.NoErr(c.Del(ctx, "bq", "bz").Err())
		start := time.Now()
		// A fractional timeout, as BullMQ sends (go-redis itself rounds up to
		// whole seconds).
		_, err := c.Do(ctx, "BZPOPMIN", "bz", "0.15").Result()
		t.Eq(err, redis.Nil, "BZPOPMIN with a 0.15 s timeout")
		t.True(time.Since(start) < 3*time.Second, "BZPOPMIN returned near its timeout")
		waiter := client(nil)
		defer waiter.Close()
		res := make(chan []string, 1)
		go func() { res <- waiter.BLPop(ctx, 3*time.Second, "bq").Val() }()
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(c.Info(ctx, "clients").Val(), "blocked_clients:1") && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		t.NoErr(c.LPush(ctx, "bq", "job").Err())
		select {
		case v := <-res:
			t.Eq(v, []string{"bq", "job"}, "BLPOP woken by LPUSH")
		case <-time.After(5 * time.Second):
			t.Fatalf("BLPOP never returned")
		}
	})

	r.check("streams", opt{}, func(t *T) {
		c := client(nil)
		defer c.Close()
		ctx := t.ctx
		t.NoErr(c.Del(ctx, "st").Err())
		id, err := c.XAdd(ctx, &redis.XAddArgs{Stream: "st", MaxLen: 100, Approx: true, Values: []any{"f", "v"}}).Result()
		t.NoErr(err)
		t.NoErr(c.XGroupCreate(ctx, "st", "g", "0").Err())
		got, err := c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"st", ">"}, Count: 10}).Result()
		t.NoErr(err)
		t.Eq(got[0].Messages[0].ID, id, "XREADGROUP")
		t.Eq(got[0].Messages[0].Values, map[string]any{"f": "v"}, "XREADGROUP fields")
		t.Eq(c.XAck(ctx, "st", "g", id).Val(), int64(1), "XACK")
		_, err = c.XRead(ctx, &redis.XReadArgs{Streams: []string{"st", "$"}, Block: 100 * time.Millisecond}).Result()
		t.Eq(err, redis.Nil, "XREAD BLOCK timeout")
	})

	// Failures are reported above and run.sh decides what they mean, so the
	// exit status says only that the scenario ran to its end.
	emit("DONE")
}

package server_test

import (
	"bufio"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

// pollUntil retries fn until it reports true or the deadline passes.
func pollUntil(t *testing.T, what string, fn func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !fn() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// Three loops so the busy script, the killer and the bystander each get
// their own event loop (connections are spread round-robin).
func startScriptServer(t *testing.T) (*servertest.Server, *servertest.Conn, *servertest.Conn, *servertest.Conn) {
	s := servertest.Start(t, "--io-threads", "3", "--busy-reply-threshold", "50")
	return s, s.Dial(t), s.Dial(t), s.Dial(t)
}

func TestScriptKillBusyScript(t *testing.T) {
	_, a, b, c := startScriptServer(t)
	c.Do("SET", "k", "v")
	a.Send(resp.AppendCommandStrings(nil, "EVAL", "local i = 0 while true do i = i + 1 end", "0"))
	// FUNCTION STATS does not show EVAL scripts: SCRIPT KILL answering
	// something other than NOTBUSY means the script runs (and is killed).
	var got string
	pollUntil(t, "the script to start", func() bool {
		got = b.Do("SCRIPT", "KILL")
		return !strings.HasPrefix(got, "-NOTBUSY")
	})
	if got != "+OK\r\n" {
		t.Fatalf("SCRIPT KILL: %q", got)
	}
	want := "-ERR Script killed by user with SCRIPT KILL... script: 3fcf51a9b854b8f66cb8685600b0d7df968f4398, on @user_script:1.\r\n"
	if r := a.ReadRaw(); r != want {
		t.Fatalf("killed script replied %q, want %q", r, want)
	}
	if r := c.Do("GET", "k"); r != "$1\r\nv\r\n" {
		t.Fatalf("GET after kill: %q", r)
	}
	if r := a.Do("PING"); r != "+PONG\r\n" {
		t.Fatalf("PING after kill: %q", r)
	}
}

func TestScriptBusyFunctionKill(t *testing.T) {
	_, a, b, c := startScriptServer(t)
	lib := "#!lua name=busy\nredis.register_function('spin', function() while true do end end)"
	if r := a.Do("FUNCTION", "LOAD", lib); r != "$4\r\nbusy\r\n" {
		t.Fatalf("FUNCTION LOAD: %q", r)
	}
	a.Send(resp.AppendCommandStrings(nil, "FCALL", "spin", "0"))
	pollUntil(t, "the function to run", func() bool {
		return strings.Contains(b.Do("FUNCTION", "STATS"), "spin")
	})
	if r := b.Do("SCRIPT", "KILL"); r != "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n" {
		t.Fatalf("SCRIPT KILL on a function: %q", r)
	}
	// Past busy-reply-threshold, other clients get BUSY once the gate asks
	// scriptBusyError; until then their command waits for the locks.
	c.Send(resp.AppendCommandStrings(nil, "GET", "k"))
	if r := b.Do("FUNCTION", "KILL"); r != "+OK\r\n" {
		t.Fatalf("FUNCTION KILL: %q", r)
	}
	want := "-ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.\r\n"
	if r := a.ReadRaw(); r != want {
		t.Fatalf("killed function replied %q, want %q", r, want)
	}
	if r := c.ReadRaw(); r != "$-1\r\n" && !strings.HasPrefix(r, "-BUSY Redis is busy running a script. You can only call FUNCTION KILL") {
		t.Fatalf("GET during busy function: %q", r)
	}
}

func TestScriptUnkillableAfterWrite(t *testing.T) {
	// A longer busy-reply-threshold than the other tests: the script's
	// first command must run before SCRIPT KILL is accepted at all, even
	// under the race detector on a loaded machine.
	s := servertest.Start(t, "--io-threads", "3", "--busy-reply-threshold", "400")
	a, b := s.Dial(t), s.Dial(t)
	// A bounded loop after a write: SCRIPT KILL must refuse while it runs.
	a.Send(resp.AppendCommandStrings(nil, "EVAL", "redis.call('set','w','1') local i = 0 while i < 20000000 do i = i + 1 end return i", "0"))
	var got string
	pollUntil(t, "the script to start", func() bool {
		got = b.Do("SCRIPT", "KILL")
		return !strings.HasPrefix(got, "-NOTBUSY")
	})
	if !strings.HasPrefix(got, "-UNKILLABLE Sorry the script already executed write commands") {
		t.Fatalf("SCRIPT KILL after a write: %q", got)
	}
	// The loop takes long under the race detector: wait for it longer
	// than ReadRaw does (nothing was read on a before, so no buffered
	// bytes are lost by reading the socket directly).
	a.Raw().SetReadDeadline(time.Now().Add(2 * time.Minute))
	r, err := resp.ReadRawReply(bufio.NewReader(a.Raw()))
	if err != nil || string(r) != ":20000000\r\n" {
		t.Fatalf("script reply %q: %v", r, err)
	}
}

// Scripts touch keys they did not declare (numkeys 0) atomically: no
// reader ever sees one key incremented without the other.
func TestScriptAtomicUndeclaredKeys(t *testing.T) {
	s := servertest.Start(t, "--io-threads", "2")
	w := s.Dial(t)
	r := s.Dial(t)
	const n = 300
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < n; i++ {
			w.Send(resp.AppendCommandStrings(nil, "EVAL", "redis.call('incr','acct:a') redis.call('incr','acct:b') redis.call('incr','{x}c') return 1", "0"))
			w.ReadRaw()
		}
	}()
	for i := 0; i < n; i++ {
		v, err := resp.ReadReply(bufioReader(r.Do("MGET", "acct:a", "acct:b", "{x}c")))
		if err != nil || len(v.Elems) != 3 {
			t.Fatalf("MGET: %v", err)
		}
		if string(v.Elems[0].Str) != string(v.Elems[1].Str) || string(v.Elems[1].Str) != string(v.Elems[2].Str) {
			t.Fatalf("torn read: %q %q %q", v.Elems[0].Str, v.Elems[1].Str, v.Elems[2].Str)
		}
	}
	wg.Wait()
	if got := r.Do("GET", "acct:a"); got != fmt.Sprintf("$3\r\n%d\r\n", n) {
		t.Fatalf("GET acct:a = %q", got)
	}
}

func TestScriptSelectStaysInScript(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	if r := c.Do("EVAL", "redis.call('select', 3) redis.call('set', 'k', 'in3') return redis.call('get', 'k')", "0"); r != "$3\r\nin3\r\n" {
		t.Fatalf("EVAL: %q", r)
	}
	if r := c.Do("GET", "k"); r != "$-1\r\n" {
		t.Fatalf("caller db changed: %q", r)
	}
	c.Do("SELECT", "3")
	if r := c.Do("GET", "k"); r != "$3\r\nin3\r\n" {
		t.Fatalf("GET in db 3: %q", r)
	}
}

func TestScriptEvalSHAAfterFlush(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	sha := strings.Split(c.Do("SCRIPT", "LOAD", "return redis.call('incr', KEYS[1])"), "\r\n")[1]
	if r := c.Do("EVALSHA", sha, "1", "n"); r != ":1\r\n" {
		t.Fatalf("EVALSHA: %q", r)
	}
	c.Do("SCRIPT", "FLUSH")
	if r := c.Do("EVALSHA", sha, "1", "n"); r != "-NOSCRIPT No matching script. Please use EVAL.\r\n" {
		t.Fatalf("EVALSHA after flush: %q", r)
	}
}

// Blocking commands refused from scripts never block the server.
func TestScriptWakesBlockedClients(t *testing.T) {
	s := servertest.Start(t, "--io-threads", "2")
	blocked := s.Dial(t)
	c := s.Dial(t)
	blocked.Send(resp.AppendCommandStrings(nil, "BLPOP", "q", "5"))
	pollUntil(t, "the client to block", func() bool {
		return strings.Contains(c.Do("INFO", "clients"), "blocked_clients:1")
	})
	c.Do("EVAL", "return redis.call('rpush', 'q', 'x')", "0")
	if r := blocked.ReadRaw(); r != "*2\r\n$1\r\nq\r\n$1\r\nx\r\n" {
		t.Fatalf("BLPOP woken by script: %q", r)
	}
}

var fuzzSkip = map[string]bool{
	"shutdown": true, "debug": true, "config": true, "client": true, "monitor": true,
	"quit": true, "reset": true, "auth": true, "hello": true, "replicaof": true, "slaveof": true,
	"save": true, "bgsave": true, "bgrewriteaof": true, "failover": true, "sync": true, "psync": true,
}

// FuzzScriptRedisCall feeds random arguments to redis.pcall from Lua: the
// server must answer every call and stay up.
func FuzzScriptRedisCall(f *testing.F) {
	for _, seed := range [][4]string{
		{"get", "k", "", ""}, {"set", "k", "v", "px"}, {"incrby", "k", "x", ""}, {"lpush", "l", "a", "b"},
		{"zadd", "z", "nan", "m"}, {"hset", "h", "f", ""}, {"select", "99", "", ""}, {"eval", "return 1", "0", ""},
		{"xadd", "s", "*", "f"}, {"setrange", "k", "-1", "x"}, {"object", "encoding", "k", ""}, {"blpop", "l", "0", ""},
	} {
		f.Add(seed[0], seed[1], seed[2], seed[3])
	}
	s := servertest.Start(f)
	nc := s.Dial(f).Raw()
	br := bufio.NewReader(nc)
	do := func(t *testing.T, args ...string) string {
		nc.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := nc.Write(resp.AppendCommandStrings(nil, args...)); err != nil {
			t.Fatalf("write: %v", err)
		}
		b, err := resp.ReadRawReply(br)
		if err != nil {
			t.Fatalf("read after %q: %v", args, err)
		}
		return string(b)
	}
	f.Fuzz(func(t *testing.T, cmd, a1, a2, a3 string) {
		first, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(cmd)), " ")
		if fuzzSkip[first] || strings.Contains(strings.ToLower(cmd), "shutdown") {
			return
		}
		r := do(t, "EVAL", "return redis.pcall(unpack(ARGV))", "0", cmd, a1, a2, a3)
		if r == "" {
			t.Fatal("no reply")
		}
		if p := do(t, "PING"); p != "+PONG\r\n" {
			t.Fatalf("PING after %q: %q", []string{cmd, a1, a2, a3}, p)
		}
	})
}

// TestBusyScriptOneLoop: with a single event loop, the loop still answers
// other clients -BUSY during a long script, and SCRIPT KILL ends it.
func TestBusyScriptOneLoop(t *testing.T) {
	s := servertest.Start(t, "--io-threads", "1", "--busy-reply-threshold", "50")
	a, b := s.Dial(t), s.Dial(t)
	a.Send(resp.AppendCommandStrings(nil, "EVAL", "while true do end", "0"))
	pollUntil(t, "a -BUSY reply", func() bool {
		return strings.HasPrefix(b.Do("GET", "k"), "-BUSY Redis is busy running a script.")
	})
	if got := b.Do("SCRIPT", "KILL"); got != "+OK\r\n" {
		t.Fatalf("SCRIPT KILL: %q", got)
	}
	if got := a.ReadRaw(); !strings.HasPrefix(got, "-ERR Script killed by user with SCRIPT KILL...") {
		t.Fatalf("killed script: %q", got)
	}
	if got := b.Do("GET", "k"); got != "$-1\r\n" {
		t.Fatalf("GET after the kill: %q", got)
	}
}

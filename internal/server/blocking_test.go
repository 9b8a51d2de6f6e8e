package server_test

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

func TestBLPopImmediate(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("RPUSH", "q", "a", "b")
	if got := c.Do("BLPOP", "none", "q", "0"); got != "*2\r\n$1\r\nq\r\n$1\r\na\r\n" {
		t.Fatalf("BLPOP: %q", got)
	}
}

func TestBLPopWakesInOrder(t *testing.T) {
	s := servertest.Start(t)
	w1, w2 := s.Dial(t), s.Dial(t)
	w1.Send(resp.AppendCommandStrings(nil, "BLPOP", "q", "0"))
	waitBlocked(t, s, 1)
	w2.Send(resp.AppendCommandStrings(nil, "BRPOP", "q", "other", "0"))
	waitBlocked(t, s, 2)
	p := s.Dial(t)
	if got := p.Do("RPUSH", "q", "first"); got != ":1\r\n" {
		t.Fatalf("RPUSH: %q", got)
	}
	if got := w1.ReadRaw(); got != "*2\r\n$1\r\nq\r\n$5\r\nfirst\r\n" {
		t.Fatalf("first waiter: %q", got)
	}
	p.Do("LPUSH", "q", "second")
	if got := w2.ReadRaw(); got != "*2\r\n$1\r\nq\r\n$6\r\nsecond\r\n" {
		t.Fatalf("second waiter: %q", got)
	}
	if got := p.Do("EXISTS", "q"); got != ":0\r\n" {
		t.Fatalf("emptied list left behind: %q", got)
	}
}

// As in Redis, clients blocked on a key are served right after the command
// that fills it, before the writer's next pipelined command: the LPOP
// finds nothing, both waiters get an element, LLEN sees an empty list.
// (Recorded from redis-server 7.0 with the same three connections.)
// Waiters on another event loop are served from that loop, after the
// writer's batch: the test needs the one loop that two cores give.
func TestBlockedServedBeforeWritersNextCommand(t *testing.T) {
	needOneLoop(t)
	s := servertest.Start(t)
	w1, w2 := s.Dial(t), s.Dial(t)
	w1.Send(resp.AppendCommandStrings(nil, "BLPOP", "l", "0"))
	waitBlocked(t, s, 1)
	w2.Send(resp.AppendCommandStrings(nil, "BLPOP", "l", "0"))
	waitBlocked(t, s, 2)
	p := s.Dial(t)
	p.Send([]byte("RPUSH l x y\r\nLPOP l\r\nLLEN l\r\n"))
	expectRaw(t, p, "writer", ":2\r\n", "$-1\r\n", ":0\r\n")
	expectRaw(t, w1, "first waiter", "*2\r\n$1\r\nl\r\n$1\r\nx\r\n")
	expectRaw(t, w2, "second waiter", "*2\r\n$1\r\nl\r\n$1\r\ny\r\n")
}

// A served waiter's BLMOVE fills the list another client waits on: the
// chain is served within the same command, in order.
func TestBlockedChainServedInline(t *testing.T) {
	needOneLoop(t)
	s := servertest.Start(t)
	m, w := s.Dial(t), s.Dial(t)
	m.Send(resp.AppendCommandStrings(nil, "BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"))
	waitBlocked(t, s, 1)
	w.Send(resp.AppendCommandStrings(nil, "BLPOP", "dst", "0"))
	waitBlocked(t, s, 2)
	p := s.Dial(t)
	p.Send([]byte("LPUSH src v\r\nEXISTS src dst\r\n"))
	expectRaw(t, p, "writer", ":1\r\n", ":0\r\n")
	expectRaw(t, m, "BLMOVE", "$1\r\nv\r\n")
	expectRaw(t, w, "BLPOP", "*2\r\n$3\r\ndst\r\n$1\r\nv\r\n")
}

// expectRaw reads one raw reply from c per wanted one; who names c in a
// failure.
func expectRaw(t *testing.T, c *servertest.Conn, who string, want ...string) {
	t.Helper()
	for _, w := range want {
		if got := c.ReadRaw(); got != w {
			t.Fatalf("%s: %q, want %q", who, got, w)
		}
	}
}

// needOneLoop skips a test that needs every client on one event loop, as
// on the two cores here (loops = max(io-threads, cores/2)).
func needOneLoop(t *testing.T) {
	t.Helper()
	if runtime.GOMAXPROCS(0)/2 > 1 {
		t.Skip("several event loops: waiters may live on another loop")
	}
}

func TestBlockedClientRunsPipelineAfterServed(t *testing.T) {
	s := servertest.Start(t)
	w := s.Dial(t)
	w.Send([]byte("BLPOP q 0\r\nPING\r\n"))
	waitBlocked(t, s, 1)
	s.Dial(t).Do("RPUSH", "q", "x")
	if got := w.ReadRaw(); got != "*2\r\n$1\r\nq\r\n$1\r\nx\r\n" {
		t.Fatalf("BLPOP: %q", got)
	}
	if got := w.ReadRaw(); got != "+PONG\r\n" {
		t.Fatalf("PING after the wait: %q", got)
	}
}

func TestBlockTimeout(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	start := time.Now()
	if got := c.Do("BLPOP", "q", "0.05"); got != "*-1\r\n" {
		t.Fatalf("BLPOP timeout: %q", got)
	}
	if time.Since(start) < 40*time.Millisecond {
		t.Fatal("returned before the timeout")
	}
	if got := c.Do("BLMOVE", "q", "d", "LEFT", "RIGHT", "0.01"); got != "*-1\r\n" {
		t.Fatalf("BLMOVE timeout: %q", got)
	}
	for _, tc := range [][2]string{
		{"BLPOP q abc", "-ERR timeout is not a float or out of range\r\n"},
		{"BLPOP q -1", "-ERR timeout is negative\r\n"},
	} {
		if got := c.Do(strings.Fields(tc[0])...); got != tc[1] {
			t.Errorf("%s: %q", tc[0], got)
		}
	}
}

func TestBLMoveWakes(t *testing.T) {
	s := servertest.Start(t)
	w := s.Dial(t)
	w.Send(resp.AppendCommandStrings(nil, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"))
	waitBlocked(t, s, 1)
	c := s.Dial(t)
	c.Do("RPUSH", "src", "v")
	if got := w.ReadRaw(); got != "$1\r\nv\r\n" {
		t.Fatalf("BLMOVE: %q", got)
	}
	if got := c.Do("LRANGE", "dst", "0", "-1"); got != "*1\r\n$1\r\nv\r\n" {
		t.Fatalf("dst: %q", got)
	}
}

func TestClientUnblock(t *testing.T) {
	s := servertest.Start(t)
	w := s.Dial(t)
	id := strings.TrimSuffix(strings.TrimPrefix(w.Do("CLIENT", "ID"), ":"), "\r\n")
	w.Send(resp.AppendCommandStrings(nil, "BLPOP", "q", "0"))
	waitBlocked(t, s, 1)
	c := s.Dial(t)
	if got := c.Do("CLIENT", "UNBLOCK", id, "ERROR"); got != ":1\r\n" {
		t.Fatalf("CLIENT UNBLOCK: %q", got)
	}
	if got := w.ReadRaw(); got != "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n" {
		t.Fatalf("unblocked reply: %q", got)
	}
	if got := c.Do("CLIENT", "UNBLOCK", id); got != ":0\r\n" {
		t.Fatalf("second unblock: %q", got)
	}
}

func TestDisconnectWhileBlockedLeavesNothing(t *testing.T) {
	s := servertest.Start(t)
	w := s.Dial(t)
	w.Send(resp.AppendCommandStrings(nil, "BLPOP", "q", "0"))
	waitBlocked(t, s, 1)
	w.Close()
	waitBlocked(t, s, 0)
	c := s.Dial(t)
	c.Do("RPUSH", "q", "x")
	if got := c.Do("LLEN", "q"); got != ":1\r\n" {
		t.Fatalf("element taken by a gone client: %q", got)
	}
}

// waitBlocked polls INFO until blocked_clients is n.
func waitBlocked(t *testing.T, s *servertest.Server, n int) {
	t.Helper()
	c := s.Dial(t)
	want := "blocked_clients:" + strconv.Itoa(n) + "\r\n"
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.Do("INFO", "clients"), want) {
		if time.Now().After(deadline) {
			t.Fatalf("never saw %q", strings.TrimSpace(want))
		}
		time.Sleep(time.Millisecond)
	}
	c.Close()
}

func TestBZPopMinWakes(t *testing.T) {
	s := servertest.Start(t)
	w := s.Dial(t)
	w.Send(resp.AppendCommandStrings(nil, "BZPOPMIN", "z", "0"))
	waitBlocked(t, s, 1)
	s.Dial(t).Do("ZADD", "z", "2", "b", "1", "a")
	if got := w.ReadRaw(); got != "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n" {
		t.Fatalf("BZPOPMIN: %q", got)
	}
}

// Waiters on one key are served first-in first-out even when they live on
// different event loops: one push of many elements gives the i-th waiter
// the i-th element, and a waiter that left meanwhile passes its turn on.
func TestBlockedFIFOAcrossLoops(t *testing.T) {
	s := servertest.Start(t, "--io-threads", "4")
	const n = 12
	ws := make([]*servertest.Conn, n)
	for i := range ws {
		ws[i] = s.Dial(t)
		ws[i].Send(resp.AppendCommandStrings(nil, "BLPOP", "q", "0"))
		waitBlocked(t, s, i+1)
	}
	gone := s.Dial(t)
	gone.Send(resp.AppendCommandStrings(nil, "BLPOP", "q", "0"))
	waitBlocked(t, s, n+1)
	for round := 0; round < 3; round++ {
		args := []string{"RPUSH", "q"}
		for i := 0; i < n; i++ {
			args = append(args, strings.Repeat("x", i+1))
		}
		p := s.Dial(t)
		if round == 0 {
			// The waiter after the first twelve disconnects; its turn
			// must not swallow the key.
			gone.Close()
		}
		p.Do(args...)
		for i, w := range ws {
			want := "*2\r\n$1\r\nq\r\n" + string(resp.AppendBulkString(nil, strings.Repeat("x", i+1)))
			if got := w.ReadRaw(); got != want {
				t.Fatalf("round %d: waiter %d got %q, want %q", round, i, got, want)
			}
		}
		for i, w := range ws {
			w.Send(resp.AppendCommandStrings(nil, "BLPOP", "q", "0"))
			waitBlocked(t, s, i+1) // registered in this order
		}
	}
}

package server_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/servertest"
)

// Keyspace notifications. The per-command events are proven against
// Redis by testdata/compat/notify.txt; these tests cover what a golden
// script cannot: active expiry, clients woken from a blocking pop, and
// the silence of a server whose notifications are off.

// notifyPmsg is the RESP2 pmessage a PSUBSCRIBE "__key*__:*" client receives.
func notifyPmsg(channel, payload string) string {
	return "*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n" + notifyBulk(channel) + notifyBulk(payload)
}

func notifyBulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

// notifySubscriber subscribes a new connection to every keyspace and keyevent
// channel.
func notifySubscriber(t *testing.T, s *servertest.Server) *servertest.Conn {
	t.Helper()
	sub := s.Dial(t)
	if got, want := sub.Do("PSUBSCRIBE", "__key*__:*"), "*3\r\n$10\r\npsubscribe\r\n$10\r\n__key*__:*\r\n:1\r\n"; got != want {
		t.Fatalf("PSUBSCRIBE: %q", got)
	}
	return sub
}

// notifyExpect reads the keyspace and keyevent message of each event
// (db 0), in order; ReadRaw's deadline bounds the wait.
func notifyExpect(t *testing.T, sub *servertest.Conn, events ...[2]string) {
	t.Helper()
	for _, ev := range events {
		event, key := ev[0], ev[1]
		if got, want := sub.ReadRaw(), notifyPmsg("__keyspace@0__:"+key, event); got != want {
			t.Fatalf("event %s %s: got %q want %q", event, key, got, want)
		}
		if got, want := sub.ReadRaw(), notifyPmsg("__keyevent@0__:"+event, key); got != want {
			t.Fatalf("event %s %s: got %q want %q", event, key, got, want)
		}
	}
}

// notifyQuiet checks that nothing is queued for sub: the reply to a PING
// comes first.
func notifyQuiet(t *testing.T, sub *servertest.Conn) {
	t.Helper()
	if got, want := sub.Do("PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n"; got != want {
		t.Fatalf("expected no event, got %q", got)
	}
}

// TestNotifyActiveExpiry: a key nobody touches again still fires
// "expired" once the expiry cycle removes it.
func TestNotifyActiveExpiry(t *testing.T) {
	s := servertest.StartWithClock(t)
	c := s.Dial(t)
	c.Do("CONFIG", "SET", "notify-keyspace-events", "KEA")
	sub := notifySubscriber(t, s)
	c.Do("SET", "k", "v", "PX", "100")
	notifyExpect(t, sub, [2]string{"set", "k"}, [2]string{"expire", "k"})
	s.Clock.Advance(200 * time.Millisecond)
	// The active cycle runs on its own; the read waits for it.
	notifyExpect(t, sub, [2]string{"expired", "k"})
	notifyQuiet(t, sub)
	c.Do("CONFIG", "SET", "notify-keyspace-events", "")
}

// TestNotifyWokenPop: a client woken by a push fires the events of the
// command it was blocked in, after the push's own, as Redis does.
func TestNotifyWokenPop(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("CONFIG", "SET", "notify-keyspace-events", "KEA")
	sub := notifySubscriber(t, s)
	b := s.Dial(t)
	b.Send([]byte("*3\r\n$5\r\nBLPOP\r\n$2\r\nwl\r\n$1\r\n0\r\n"))
	notifyWaitBlocked(t, c, 1)
	c.Do("LPUSH", "wl", "a", "b")
	if got := b.ReadRaw(); got != "*2\r\n$2\r\nwl\r\n$1\r\nb\r\n" {
		t.Fatalf("BLPOP: %q", got)
	}
	notifyExpect(t, sub, [2]string{"lpush", "wl"}, [2]string{"lpop", "wl"})

	b.Send([]byte("*6\r\n$6\r\nBLMOVE\r\n$2\r\nwm\r\n$2\r\nwd\r\n$4\r\nLEFT\r\n$5\r\nRIGHT\r\n$1\r\n0\r\n"))
	notifyWaitBlocked(t, c, 1)
	c.Do("RPUSH", "wm", "x")
	if got := b.ReadRaw(); got != "$1\r\nx\r\n" {
		t.Fatalf("BLMOVE: %q", got)
	}
	notifyExpect(t, sub, [2]string{"rpush", "wm"}, [2]string{"rpush", "wd"}, [2]string{"lpop", "wm"}, [2]string{"del", "wm"})
	notifyQuiet(t, sub)
	c.Do("CONFIG", "SET", "notify-keyspace-events", "")
}

// notifyWaitBlocked polls INFO clients until n clients are blocked.
func notifyWaitBlocked(t *testing.T, c *servertest.Conn, n int) {
	t.Helper()
	want := "blocked_clients:" + strconv.Itoa(n) + "\r\n"
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if info := c.Do("INFO", "clients"); strings.Contains(info, want) {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("no client blocked")
}

// TestNotifyOff: with notify-keyspace-events empty (the default) no
// command, expiry, creation or miss publishes anything, and switching
// the classes on and off again takes effect at once.
func TestNotifyOff(t *testing.T) {
	s := servertest.StartWithClock(t)
	c := s.Dial(t)
	sub := notifySubscriber(t, s)
	writes := [][]string{
		{"SET", "s", "1", "PX", "10"}, {"INCR", "n"}, {"APPEND", "a", "x"},
		{"RPUSH", "l", "a"}, {"LPOP", "l"}, {"HSET", "h", "f", "v"},
		{"SADD", "st", "m"}, {"ZADD", "z", "1", "m"}, {"SETBIT", "b", "1", "1"},
		{"PFADD", "p", "x"}, {"RENAME", "h", "h2"}, {"EXPIRE", "h2", "100"},
		{"GET", "nosuch"}, {"DEL", "n", "a"},
	}
	run := func() {
		for _, w := range writes {
			c.Do(w...)
		}
		s.Clock.Advance(20 * time.Millisecond)
		c.Do("GET", "s") // lazily expired
	}
	run()
	notifyQuiet(t, sub)

	c.Do("CONFIG", "SET", "notify-keyspace-events", "KEAnm")
	c.Do("SET", "on", "v")
	notifyExpect(t, sub, [2]string{"new", "on"}, [2]string{"set", "on"})
	c.Do("CONFIG", "SET", "notify-keyspace-events", "")
	c.Do("FLUSHALL")
	run()
	notifyQuiet(t, sub)
}

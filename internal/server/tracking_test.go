package server_test

import (
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/servertest"
)

// TestTrackingRedirectRESP2: invalidations of a RESP2 client reach the
// client it redirects to as __redis__:invalidate messages.
func TestTrackingRedirectRESP2(t *testing.T) {
	s := servertest.Start(t)
	inv := s.Dial(t)
	id := strings.TrimSuffix(strings.TrimPrefix(inv.Do("CLIENT", "ID"), ":"), "\r\n")
	inv.Do("SUBSCRIBE", "__redis__:invalidate")
	tr := s.Dial(t)
	if got := tr.Do("CLIENT", "TRACKING", "on", "REDIRECT", id); got != "+OK\r\n" {
		t.Fatalf("TRACKING: %q", got)
	}
	if got := tr.Do("CLIENT", "GETREDIR"); got != ":"+id+"\r\n" {
		t.Fatalf("GETREDIR: %q", got)
	}
	tr.Do("GET", "k")
	s.Dial(t).Do("SET", "k", "1")
	want := "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n"
	if got := inv.ReadRaw(); got != want {
		t.Fatalf("invalidation: %q", got)
	}
	// Flush: a null invalidation.
	s.Dial(t).Do("FLUSHALL")
	if got := inv.ReadRaw(); got != "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n$-1\r\n" {
		t.Fatalf("flush invalidation: %q", got)
	}
	// The redirect target goes away: TRACKINGINFO says so.
	inv.Close()
	for i := 0; ; i++ {
		if strings.Contains(tr.Do("CLIENT", "TRACKINGINFO"), "broken_redirect") {
			break
		}
		if i > 1000 {
			t.Fatal("broken_redirect never shown")
		}
	}
}

// TestTrackingBcastPrefixes: a BCAST client hears of every change under
// its prefixes, and with NOLOOP not of its own.
func TestTrackingBcastPrefixes(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("HELLO", "3")
	if got := c.Do("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "NOLOOP"); got != "+OK\r\n" {
		t.Fatalf("TRACKING: %q", got)
	}
	c.Do("SET", "user:1", "mine") // NOLOOP: no message
	o := s.Dial(t)
	o.Do("SET", "other", "x")
	o.Do("MSET", "user:2", "a", "user:3", "b")
	if got := c.ReadRaw(); got != ">2\r\n$10\r\ninvalidate\r\n*2\r\n$6\r\nuser:2\r\n$6\r\nuser:3\r\n" {
		t.Fatalf("invalidation: %q", got)
	}
	if got := c.Do("PING"); got != "+PONG\r\n" {
		t.Fatalf("PING: %q (a stray message?)", got)
	}
}

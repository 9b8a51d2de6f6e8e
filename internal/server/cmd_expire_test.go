package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/servertest"
)

func TestExpireOptionsWithFakeClock(t *testing.T) {
	s := servertest.StartWithClock(t)
	c := s.Dial(t)
	c.Do("SET", "k", "v")
	steps := [][2]string{
		{"EXPIRE k 100 XX", ":0\r\n"},
		{"EXPIRE k 100 NX", ":1\r\n"},
		{"EXPIRE k 50 GT", ":0\r\n"},
		{"EXPIRE k 200 GT", ":1\r\n"},
		{"EXPIRE k 300 LT", ":0\r\n"},
		{"TTL k", ":200\r\n"},
		{"PERSIST k", ":1\r\n"},
		{"TTL k", ":-1\r\n"},
		{"PEXPIRE k 10", ":1\r\n"},
	}
	for _, st := range steps {
		if got := c.Do(strings.Fields(st[0])...); got != st[1] {
			t.Fatalf("%s: got %q want %q", st[0], got, st[1])
		}
	}
	s.Clock.Advance(10 * time.Millisecond)
	if got := c.Do("TTL", "k"); got != ":-2\r\n" {
		t.Fatalf("after expiry: %q", got)
	}
	// A time in the past deletes at once.
	c.Do("SET", "p", "v")
	if got := c.Do("EXPIREAT", "p", "1"); got != ":1\r\n" {
		t.Fatalf("EXPIREAT past: %q", got)
	}
	if got := c.Do("EXISTS", "p"); got != ":0\r\n" {
		t.Fatalf("past expire left the key: %q", got)
	}
}

func TestGetExAndSetKeepTTL(t *testing.T) {
	s := servertest.StartWithClock(t)
	c := s.Dial(t)
	c.Do("SET", "k", "v", "EX", "100")
	c.Do("SET", "k", "w", "KEEPTTL")
	if got := c.Do("TTL", "k"); got != ":100\r\n" {
		t.Fatalf("KEEPTTL: %q", got)
	}
	if got := c.Do("GETEX", "k", "PERSIST"); got != "$1\r\nw\r\n" {
		t.Fatalf("GETEX: %q", got)
	}
	if got := c.Do("TTL", "k"); got != ":-1\r\n" {
		t.Fatalf("after PERSIST: %q", got)
	}
}

func TestKeepTTLOnExpiredKey(t *testing.T) {
	s := servertest.StartWithClock(t)
	c := s.Dial(t)
	c.Do("SET", "k", "v", "PX", "10")
	s.Clock.Advance(20 * time.Millisecond)
	c.Do("SET", "k", "w", "KEEPTTL")
	if got := c.Do("GET", "k"); got != "$1\r\nw\r\n" {
		t.Fatalf("SET KEEPTTL on an expired key: %q", got)
	}
	if got := c.Do("TTL", "k"); got != ":-1\r\n" {
		t.Fatalf("TTL: %q", got)
	}
}

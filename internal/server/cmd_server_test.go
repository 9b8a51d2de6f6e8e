package server_test

import (
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/servertest"
)

func TestMonitorSeesOtherClients(t *testing.T) {
	s := servertest.Start(t)
	mon := s.Dial(t)
	if got := mon.Do("MONITOR"); got != "+OK\r\n" {
		t.Fatalf("MONITOR: %q", got)
	}
	c := s.Dial(t)
	c.Do("SET", "greeting", "hi\nthere")
	got := mon.ReadRaw()
	if !strings.HasPrefix(got, "+") || !strings.Contains(got, `"SET" "greeting" "hi\nthere"`) || !strings.Contains(got, "[0 127.0.0.1:") {
		t.Fatalf("monitor line: %q", got)
	}
}

func TestSlowlogRecords(t *testing.T) {
	s := servertest.Start(t, "--slowlog-log-slower-than", "0")
	c := s.Dial(t)
	c.Do("SET", "k", strings.Repeat("x", 200))
	got := c.Do("SLOWLOG", "GET", "1")
	if !strings.Contains(got, "$3\r\nSET\r\n") || !strings.Contains(got, "... (72 more bytes)") {
		t.Fatalf("slowlog entry: %q", got)
	}
	if got := c.Do("SLOWLOG", "RESET"); got != "+OK\r\n" {
		t.Fatalf("reset: %q", got)
	}
}

func TestInfoSections(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("SET", "k", "v")
	c.Do("GET", "k")
	c.Do("GET", "missing")
	c.Do("NOSUCH")
	info := c.Do("INFO", "everything")
	for _, want := range []string{
		"# Server\r\n", "redis_version:7.0.15\r\n", "taconite_version:", "maxmemory_policy:noeviction\r\n",
		"loading:0\r\n", "keyspace_hits:1\r\n", "keyspace_misses:1\r\n",
		"cmdstat_get:calls=2,", "errorstat_ERR:count=1\r\n", "db0:keys=1,expires=0,avg_ttl=0\r\n",
	} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO lacks %q", want)
		}
	}
	if got := c.Do("INFO", "keyspace"); !strings.HasPrefix(got, "$") || strings.Contains(got, "# Server") {
		t.Errorf("INFO keyspace: %q", got)
	}
}

func TestConfigSetAppliesMaxclients(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	if got := c.Do("CONFIG", "SET", "maxclients", "1"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %q", got)
	}
	extra := s.Dial(t)
	if got := extra.ReadRaw(); got != "-ERR max number of clients reached\r\n" {
		t.Fatalf("over maxclients: %q", got)
	}
	if got := c.Do("CONFIG", "GET", "maxclients"); got != "*2\r\n$10\r\nmaxclients\r\n$1\r\n1\r\n" {
		t.Fatalf("CONFIG GET: %q", got)
	}
}

func TestCommandCountMatchesImplemented(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	got := c.Do("COMMAND", "COUNT")
	if got == ":0\r\n" || !strings.HasPrefix(got, ":") {
		t.Fatalf("COMMAND COUNT: %q", got)
	}
	if got := c.Do("COMMAND", "INFO", "failover"); got != "*1\r\n$-1\r\n" {
		t.Fatalf("unimplemented command should not be listed: %q", got)
	}
}

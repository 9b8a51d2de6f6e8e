package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/servertest"
)

func TestHello3SwitchesProtocol(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	got := c.Do("HELLO", "3", "SETNAME", "app")
	if !strings.HasPrefix(got, "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n") {
		t.Fatalf("HELLO 3: %q", got)
	}
	if got := c.Do("GET", "missing"); got != "_\r\n" {
		t.Fatalf("RESP3 null: %q", got)
	}
	if got := c.Do("CLIENT", "GETNAME"); got != "$3\r\napp\r\n" {
		t.Fatalf("name: %q", got)
	}
	if got := c.Do("RESET"); got != "+RESET\r\n" {
		t.Fatalf("RESET: %q", got)
	}
	if got := c.Do("GET", "missing"); got != "$-1\r\n" {
		t.Fatalf("after RESET: %q", got)
	}
}

func TestClientKillByID(t *testing.T) {
	s := servertest.Start(t)
	victim := s.Dial(t)
	id := strings.TrimSuffix(strings.TrimPrefix(victim.Do("CLIENT", "ID"), ":"), "\r\n")
	c := s.Dial(t)
	if got := c.Do("CLIENT", "KILL", "ID", id); got != ":1\r\n" {
		t.Fatalf("kill: %q", got)
	}
	victim.Raw().SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := victim.Raw().Read(make([]byte, 16)); err == nil {
		t.Fatalf("victim still connected (read %d bytes)", n)
	}
	if got := c.Do("CLIENT", "KILL", "ID", id); got != ":0\r\n" {
		t.Fatalf("second kill: %q", got)
	}
}

func TestClientListShowsNameAndCommand(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("CLIENT", "SETNAME", "lister")
	got := c.Do("CLIENT", "LIST")
	if !strings.Contains(got, " name=lister ") || !strings.Contains(got, " cmd=client|list ") {
		t.Fatalf("CLIENT LIST: %q", got)
	}
}

// TestClientPauseHoldsWritesNotTheLoop: a paused write waits, the pausing
// client keeps being served (even on the same event loop), and UNPAUSE
// releases the write.
func TestClientPauseHoldsWritesNotTheLoop(t *testing.T) {
	s := servertest.Start(t)
	admin := s.Dial(t)
	writer := s.Dial(t)
	if got := admin.Do("CLIENT", "PAUSE", "100000", "WRITE"); got != "+OK\r\n" {
		t.Fatalf("pause: %q", got)
	}
	writer.Send([]byte("SET k v\r\n"))
	if got := admin.Do("GET", "k"); got != "$-1\r\n" {
		t.Fatalf("write ran during pause: %q", got)
	}
	if got := admin.Do("CLIENT", "UNPAUSE"); got != "+OK\r\n" {
		t.Fatalf("unpause: %q", got)
	}
	if got := writer.ReadRaw(); got != "+OK\r\n" {
		t.Fatalf("held write: %q", got)
	}
	if got := admin.Do("GET", "k"); got != "$1\r\nv\r\n" {
		t.Fatalf("after unpause: %q", got)
	}
}

func TestClientReplyOffAndSkip(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Send([]byte("CLIENT REPLY SKIP\r\nSET a 1\r\nCLIENT REPLY OFF\r\nSET b 2\r\nCLIENT REPLY ON\r\nMGET a b\r\n"))
	if got := c.ReadRaw(); got != "+OK\r\n" {
		t.Fatalf("first reply should be REPLY ON's OK, got %q", got)
	}
	if got := c.ReadRaw(); got != "*2\r\n$1\r\n1\r\n$1\r\n2\r\n" {
		t.Fatalf("MGET: %q", got)
	}
}

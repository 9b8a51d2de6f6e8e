package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/acl"
	"github.com/taconite/taconite/internal/command"
	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/logging"
	"github.com/taconite/taconite/internal/server"
	"github.com/taconite/taconite/internal/servertest"
)

type aclCase struct {
	user string
	argv []string
	want string
}

// The matrix below was recorded from redis-server 7.0.15: each user runs
// each command on its own connection, after a FLUSHALL by an admin.
var aclMatrixUsers = [][2]string{
	{"full", "on nopass ~* &* +@all"},
	{"ro", "on nopass ~app:* &* -@all +@read +ping"},
	{"rw", "on nopass %R~r:* %W~w:* ~app:* &* +@all"},
	{"pub", "on nopass ~* resetchannels &news.* +@all -@dangerous"},
	{"sel", "on nopass ~a:* resetchannels -@all +get (~b:* +set +get) (&c.* +publish)"},
	{"sub", "on nopass ~* resetchannels &news.* -@all +@write +config|get +select|1"},
}
var aclMatrixCases = []aclCase{
	{"full", []string{"GET", "app:1"}, "$-1\r\n"},
	{"full", []string{"SET", "app:1", "v"}, "+OK\r\n"},
	{"full", []string{"GET", "other"}, "$-1\r\n"},
	{"full", []string{"SET", "w:1", "v"}, "+OK\r\n"},
	{"full", []string{"GET", "w:1"}, "$-1\r\n"},
	{"full", []string{"GET", "r:1"}, "$-1\r\n"},
	{"full", []string{"SET", "r:1", "v"}, "+OK\r\n"},
	{"full", []string{"MGET", "app:1", "other"}, "*2\r\n$-1\r\n$-1\r\n"},
	{"full", []string{"COPY", "r:1", "w:2"}, ":0\r\n"},
	{"full", []string{"PUBLISH", "news.x", "m"}, ":0\r\n"},
	{"full", []string{"PUBLISH", "sports", "m"}, ":0\r\n"},
	{"full", []string{"SPUBLISH", "news.y", "m"}, ":0\r\n"},
	{"full", []string{"FLUSHALL"}, "+OK\r\n"},
	{"full", []string{"CONFIG", "GET", "maxmemory"}, "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"},
	{"full", []string{"CONFIG", "SET", "maxmemory", "0"}, "+OK\r\n"},
	{"full", []string{"SELECT", "1"}, "+OK\r\n"},
	{"full", []string{"SELECT", "0"}, "+OK\r\n"},
	{"full", []string{"GET", "a:1"}, "$-1\r\n"},
	{"full", []string{"GET", "b:1"}, "$-1\r\n"},
	{"full", []string{"SET", "b:1", "v"}, "+OK\r\n"},
	{"full", []string{"SET", "a:1", "v"}, "+OK\r\n"},
	{"full", []string{"PUBLISH", "c.x", "m"}, ":0\r\n"},
	{"full", []string{"PING"}, "+PONG\r\n"},
	{"full", []string{"KEYS", "*"}, "*0\r\n"},
	{"full", []string{"EVAL", "return 1", "1", "app:1"}, ":1\r\n"},
	{"full", []string{"EVAL", "return 1", "1", "q"}, ":1\r\n"},
	{"ro", []string{"GET", "app:1"}, "$-1\r\n"},
	{"ro", []string{"SET", "app:1", "v"}, "-NOPERM this user has no permissions to run the 'set' command\r\n"},
	{"ro", []string{"GET", "other"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"ro", []string{"SET", "w:1", "v"}, "-NOPERM this user has no permissions to run the 'set' command\r\n"},
	{"ro", []string{"GET", "w:1"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"ro", []string{"GET", "r:1"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"ro", []string{"SET", "r:1", "v"}, "-NOPERM this user has no permissions to run the 'set' command\r\n"},
	{"ro", []string{"MGET", "app:1", "other"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"ro", []string{"COPY", "r:1", "w:2"}, "-NOPERM this user has no permissions to run the 'copy' command\r\n"},
	{"ro", []string{"PUBLISH", "news.x", "m"}, "-NOPERM this user has no permissions to run the 'publish' command\r\n"},
	{"ro", []string{"PUBLISH", "sports", "m"}, "-NOPERM this user has no permissions to run the 'publish' command\r\n"},
	{"ro", []string{"SPUBLISH", "news.y", "m"}, "-NOPERM this user has no permissions to run the 'spublish' command\r\n"},
	{"ro", []string{"FLUSHALL"}, "-NOPERM this user has no permissions to run the 'flushall' command\r\n"},
	{"ro", []string{"CONFIG", "GET", "maxmemory"}, "-NOPERM this user has no permissions to run the 'config|get' command\r\n"},
	{"ro", []string{"CONFIG", "SET", "maxmemory", "0"}, "-NOPERM this user has no permissions to run the 'config|set' command\r\n"},
	{"ro", []string{"SELECT", "1"}, "-NOPERM this user has no permissions to run the 'select' command\r\n"},
	{"ro", []string{"SELECT", "0"}, "-NOPERM this user has no permissions to run the 'select' command\r\n"},
	{"ro", []string{"GET", "a:1"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"ro", []string{"GET", "b:1"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"ro", []string{"SET", "b:1", "v"}, "-NOPERM this user has no permissions to run the 'set' command\r\n"},
	{"ro", []string{"SET", "a:1", "v"}, "-NOPERM this user has no permissions to run the 'set' command\r\n"},
	{"ro", []string{"PUBLISH", "c.x", "m"}, "-NOPERM this user has no permissions to run the 'publish' command\r\n"},
	{"ro", []string{"PING"}, "+PONG\r\n"},
	{"ro", []string{"KEYS", "*"}, "*0\r\n"},
	{"ro", []string{"EVAL", "return 1", "1", "app:1"}, "-NOPERM this user has no permissions to run the 'eval' command\r\n"},
	{"ro", []string{"EVAL", "return 1", "1", "q"}, "-NOPERM this user has no permissions to run the 'eval' command\r\n"},
	{"rw", []string{"GET", "app:1"}, "$-1\r\n"},
	{"rw", []string{"SET", "app:1", "v"}, "+OK\r\n"},
	{"rw", []string{"GET", "other"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"rw", []string{"SET", "w:1", "v"}, "+OK\r\n"},
	{"rw", []string{"GET", "w:1"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"rw", []string{"GET", "r:1"}, "$-1\r\n"},
	{"rw", []string{"SET", "r:1", "v"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"rw", []string{"MGET", "app:1", "other"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"rw", []string{"COPY", "r:1", "w:2"}, ":0\r\n"},
	{"rw", []string{"PUBLISH", "news.x", "m"}, ":0\r\n"},
	{"rw", []string{"PUBLISH", "sports", "m"}, ":0\r\n"},
	{"rw", []string{"SPUBLISH", "news.y", "m"}, ":0\r\n"},
	{"rw", []string{"FLUSHALL"}, "+OK\r\n"},
	{"rw", []string{"CONFIG", "GET", "maxmemory"}, "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"},
	{"rw", []string{"CONFIG", "SET", "maxmemory", "0"}, "+OK\r\n"},
	{"rw", []string{"SELECT", "1"}, "+OK\r\n"},
	{"rw", []string{"SELECT", "0"}, "+OK\r\n"},
	{"rw", []string{"GET", "a:1"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"rw", []string{"GET", "b:1"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"rw", []string{"SET", "b:1", "v"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"rw", []string{"SET", "a:1", "v"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"rw", []string{"PUBLISH", "c.x", "m"}, ":0\r\n"},
	{"rw", []string{"PING"}, "+PONG\r\n"},
	{"rw", []string{"KEYS", "*"}, "*0\r\n"},
	{"rw", []string{"EVAL", "return 1", "1", "app:1"}, ":1\r\n"},
	{"rw", []string{"EVAL", "return 1", "1", "q"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"pub", []string{"GET", "app:1"}, "$-1\r\n"},
	{"pub", []string{"SET", "app:1", "v"}, "+OK\r\n"},
	{"pub", []string{"GET", "other"}, "$-1\r\n"},
	{"pub", []string{"SET", "w:1", "v"}, "+OK\r\n"},
	{"pub", []string{"GET", "w:1"}, "$-1\r\n"},
	{"pub", []string{"GET", "r:1"}, "$-1\r\n"},
	{"pub", []string{"SET", "r:1", "v"}, "+OK\r\n"},
	{"pub", []string{"MGET", "app:1", "other"}, "*2\r\n$-1\r\n$-1\r\n"},
	{"pub", []string{"COPY", "r:1", "w:2"}, ":0\r\n"},
	{"pub", []string{"PUBLISH", "news.x", "m"}, ":0\r\n"},
	{"pub", []string{"PUBLISH", "sports", "m"}, "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n"},
	{"pub", []string{"SPUBLISH", "news.y", "m"}, ":0\r\n"},
	{"pub", []string{"FLUSHALL"}, "-NOPERM this user has no permissions to run the 'flushall' command\r\n"},
	{"pub", []string{"CONFIG", "GET", "maxmemory"}, "-NOPERM this user has no permissions to run the 'config|get' command\r\n"},
	{"pub", []string{"CONFIG", "SET", "maxmemory", "0"}, "-NOPERM this user has no permissions to run the 'config|set' command\r\n"},
	{"pub", []string{"SELECT", "1"}, "+OK\r\n"},
	{"pub", []string{"SELECT", "0"}, "+OK\r\n"},
	{"pub", []string{"GET", "a:1"}, "$-1\r\n"},
	{"pub", []string{"GET", "b:1"}, "$-1\r\n"},
	{"pub", []string{"SET", "b:1", "v"}, "+OK\r\n"},
	{"pub", []string{"SET", "a:1", "v"}, "+OK\r\n"},
	{"pub", []string{"PUBLISH", "c.x", "m"}, "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n"},
	{"pub", []string{"PING"}, "+PONG\r\n"},
	{"pub", []string{"KEYS", "*"}, "-NOPERM this user has no permissions to run the 'keys' command\r\n"},
	{"pub", []string{"EVAL", "return 1", "1", "app:1"}, ":1\r\n"},
	{"pub", []string{"EVAL", "return 1", "1", "q"}, ":1\r\n"},
	{"sel", []string{"GET", "app:1"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"sel", []string{"SET", "app:1", "v"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"sel", []string{"GET", "other"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"sel", []string{"SET", "w:1", "v"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"sel", []string{"GET", "w:1"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"sel", []string{"GET", "r:1"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"sel", []string{"SET", "r:1", "v"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"sel", []string{"MGET", "app:1", "other"}, "-NOPERM this user has no permissions to run the 'mget' command\r\n"},
	{"sel", []string{"COPY", "r:1", "w:2"}, "-NOPERM this user has no permissions to run the 'copy' command\r\n"},
	{"sel", []string{"PUBLISH", "news.x", "m"}, "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n"},
	{"sel", []string{"PUBLISH", "sports", "m"}, "-NOPERM this user has no permissions to access one of the channels used as arguments\r\n"},
	{"sel", []string{"SPUBLISH", "news.y", "m"}, "-NOPERM this user has no permissions to run the 'spublish' command\r\n"},
	{"sel", []string{"FLUSHALL"}, "-NOPERM this user has no permissions to run the 'flushall' command\r\n"},
	{"sel", []string{"CONFIG", "GET", "maxmemory"}, "-NOPERM this user has no permissions to run the 'config|get' command\r\n"},
	{"sel", []string{"CONFIG", "SET", "maxmemory", "0"}, "-NOPERM this user has no permissions to run the 'config|set' command\r\n"},
	{"sel", []string{"SELECT", "1"}, "-NOPERM this user has no permissions to run the 'select' command\r\n"},
	{"sel", []string{"SELECT", "0"}, "-NOPERM this user has no permissions to run the 'select' command\r\n"},
	{"sel", []string{"GET", "a:1"}, "$-1\r\n"},
	{"sel", []string{"GET", "b:1"}, "$-1\r\n"},
	{"sel", []string{"SET", "b:1", "v"}, "+OK\r\n"},
	{"sel", []string{"SET", "a:1", "v"}, "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n"},
	{"sel", []string{"PUBLISH", "c.x", "m"}, ":0\r\n"},
	{"sel", []string{"PING"}, "-NOPERM this user has no permissions to run the 'ping' command\r\n"},
	{"sel", []string{"KEYS", "*"}, "-NOPERM this user has no permissions to run the 'keys' command\r\n"},
	{"sel", []string{"EVAL", "return 1", "1", "app:1"}, "-NOPERM this user has no permissions to run the 'eval' command\r\n"},
	{"sel", []string{"EVAL", "return 1", "1", "q"}, "-NOPERM this user has no permissions to run the 'eval' command\r\n"},
	{"sub", []string{"GET", "app:1"}, "-NOPERM this user has no permissions to run the 'get' command\r\n"},
	{"sub", []string{"SET", "app:1", "v"}, "+OK\r\n"},
	{"sub", []string{"GET", "other"}, "-NOPERM this user has no permissions to run the 'get' command\r\n"},
	{"sub", []string{"SET", "w:1", "v"}, "+OK\r\n"},
	{"sub", []string{"GET", "w:1"}, "-NOPERM this user has no permissions to run the 'get' command\r\n"},
	{"sub", []string{"GET", "r:1"}, "-NOPERM this user has no permissions to run the 'get' command\r\n"},
	{"sub", []string{"SET", "r:1", "v"}, "+OK\r\n"},
	{"sub", []string{"MGET", "app:1", "other"}, "-NOPERM this user has no permissions to run the 'mget' command\r\n"},
	{"sub", []string{"COPY", "r:1", "w:2"}, ":0\r\n"},
	{"sub", []string{"PUBLISH", "news.x", "m"}, "-NOPERM this user has no permissions to run the 'publish' command\r\n"},
	{"sub", []string{"PUBLISH", "sports", "m"}, "-NOPERM this user has no permissions to run the 'publish' command\r\n"},
	{"sub", []string{"SPUBLISH", "news.y", "m"}, "-NOPERM this user has no permissions to run the 'spublish' command\r\n"},
	{"sub", []string{"FLUSHALL"}, "+OK\r\n"},
	{"sub", []string{"CONFIG", "GET", "maxmemory"}, "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"},
	{"sub", []string{"CONFIG", "SET", "maxmemory", "0"}, "-NOPERM this user has no permissions to run the 'config|set' command\r\n"},
	{"sub", []string{"SELECT", "1"}, "+OK\r\n"},
	{"sub", []string{"SELECT", "0"}, "-NOPERM this user has no permissions to run the 'select' command\r\n"},
	{"sub", []string{"GET", "a:1"}, "-NOPERM this user has no permissions to run the 'get' command\r\n"},
	{"sub", []string{"GET", "b:1"}, "-NOPERM this user has no permissions to run the 'get' command\r\n"},
	{"sub", []string{"SET", "b:1", "v"}, "+OK\r\n"},
	{"sub", []string{"SET", "a:1", "v"}, "+OK\r\n"},
	{"sub", []string{"PUBLISH", "c.x", "m"}, "-NOPERM this user has no permissions to run the 'publish' command\r\n"},
	{"sub", []string{"PING"}, "-NOPERM this user has no permissions to run the 'ping' command\r\n"},
	{"sub", []string{"KEYS", "*"}, "-NOPERM this user has no permissions to run the 'keys' command\r\n"},
	{"sub", []string{"EVAL", "return 1", "1", "app:1"}, "-NOPERM this user has no permissions to run the 'eval' command\r\n"},
	{"sub", []string{"EVAL", "return 1", "1", "q"}, "-NOPERM this user has no permissions to run the 'eval' command\r\n"},
}

func TestACLMatrix(t *testing.T) {
	s := servertest.Start(t)
	admin := s.Dial(t)
	for _, u := range aclMatrixUsers {
		args := append([]string{"ACL", "SETUSER", u[0], "reset"}, strings.Fields(u[1])...)
		if got := admin.Do(args...); got != "+OK\r\n" {
			t.Fatalf("SETUSER %s: %q", u[0], got)
		}
	}
	conns := map[string]*servertest.Conn{}
	for _, tc := range aclMatrixCases {
		c := conns[tc.user]
		if c == nil {
			c = s.Dial(t)
			if got := c.Do("AUTH", tc.user, "x"); got != "+OK\r\n" {
				t.Fatalf("AUTH %s: %q", tc.user, got)
			}
			conns[tc.user] = c
		}
		admin.Do("FLUSHALL")
		if got := c.Do(tc.argv...); got != tc.want {
			t.Errorf("%s: %v = %q, want %q", tc.user, tc.argv, got, tc.want)
		}
	}
}

// TestACLChangesApplyAtNextCommand: a connected client sees its user's new
// rules at once; deleting the user disconnects it; disabling it does not
// (Redis 7.0), but it can no longer authenticate.
func TestACLChangesApplyAtNextCommand(t *testing.T) {
	s := servertest.Start(t)
	admin := s.Dial(t)
	admin.Do("ACL", "SETUSER", "u", "on", ">p", "~*", "+@all")
	c := s.Dial(t)
	if got := c.Do("AUTH", "u", "p"); got != "+OK\r\n" {
		t.Fatalf("AUTH: %q", got)
	}
	if got := c.Do("GET", "k"); got != "$-1\r\n" {
		t.Fatalf("GET: %q", got)
	}
	admin.Do("ACL", "SETUSER", "u", "-get")
	if got := c.Do("GET", "k"); got != "-NOPERM this user has no permissions to run the 'get' command\r\n" {
		t.Fatalf("GET after -get: %q", got)
	}
	admin.Do("ACL", "SETUSER", "u", "off")
	if got := c.Do("SET", "k", "v"); got != "+OK\r\n" {
		t.Fatalf("SET while off: %q", got)
	}
	if got := s.Dial(t).Do("AUTH", "u", "p"); !strings.HasPrefix(got, "-WRONGPASS") {
		t.Fatalf("AUTH while off: %q", got)
	}
	if got := c.Do("CLIENT", "INFO"); !strings.Contains(got, " user=u ") {
		t.Fatalf("CLIENT INFO: %q", got)
	}
	if got := admin.Do("ACL", "DELUSER", "u"); got != ":1\r\n" {
		t.Fatalf("DELUSER: %q", got)
	}
	expectClosed(t, c)
}

func expectClosed(t *testing.T, c *servertest.Conn) {
	t.Helper()
	c.Raw().SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	for {
		n, err := c.Raw().Read(buf)
		if err != nil {
			return
		}
		if n > 0 {
			t.Fatalf("still connected, read %q", buf[:n])
		}
	}
}

// TestACLRevokedChannelDisconnectsSubscriber: as Redis, a subscriber whose
// channel permission goes away is disconnected.
func TestACLRevokedChannelDisconnectsSubscriber(t *testing.T) {
	s := servertest.Start(t)
	admin := s.Dial(t)
	admin.Do("ACL", "SETUSER", "w", "on", ">pw", "~*", "+@all", "resetchannels", "&a")
	c := s.Dial(t)
	c.Do("AUTH", "w", "pw")
	if got := c.Do("SUBSCRIBE", "a"); !strings.HasPrefix(got, "*3\r\n$9\r\nsubscribe") {
		t.Fatalf("SUBSCRIBE: %q", got)
	}
	admin.Do("ACL", "SETUSER", "w", "resetchannels", "&b")
	expectClosed(t, c)
}

// TestACLRequirepass: requirepass is the default user's password, also
// when changed with CONFIG SET, and ACL SETUSER default changes it too.
func TestACLRequirepass(t *testing.T) {
	s := servertest.Start(t, "--requirepass", "secret")
	c := s.Dial(t)
	if got := c.Do("GET", "k"); got != "-NOAUTH Authentication required.\r\n" {
		t.Fatalf("before AUTH: %q", got)
	}
	if got := c.Do("AUTH", "default", "secret"); got != "+OK\r\n" {
		t.Fatalf("AUTH: %q", got)
	}
	if got := c.Do("ACL", "GETUSER", "default"); !strings.Contains(got, "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b") {
		t.Fatalf("GETUSER: %q", got)
	}
	c.Do("CONFIG", "SET", "requirepass", "")
	if got := s.Dial(t).Do("GET", "k"); got != "$-1\r\n" {
		t.Fatalf("after requirepass '': %q", got)
	}
	c.Do("ACL", "SETUSER", "default", "resetpass", ">other")
	d := s.Dial(t)
	if got := d.Do("GET", "k"); got != "-NOAUTH Authentication required.\r\n" {
		t.Fatalf("after SETUSER default: %q", got)
	}
	if got := d.Do("AUTH", "other"); got != "+OK\r\n" {
		t.Fatalf("AUTH other: %q", got)
	}
	c.Do("CONFIG", "SET", "timeout", "0") // unrelated reloads keep the password
	if got := s.Dial(t).Do("AUTH", "other"); got != "+OK\r\n" {
		t.Fatalf("AUTH after unrelated CONFIG SET: %q", got)
	}
}

// TestACLFileSaveLoad: ACL SAVE writes the users, ACL LOAD reads them back,
// dropping users not in the file and their connections, and refusing a
// bad file whole.
func TestACLFileSaveLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.acl")
	if err := os.WriteFile(path, []byte("user default on nopass ~* &* +@all\nuser ann on #"+
		"2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~ann:* resetchannels +get\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := servertest.Start(t, "--aclfile", path)
	c := s.Dial(t)
	if got := c.Do("ACL", "LIST"); got != "*2\r\n$109\r\nuser ann on #2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b ~ann:* resetchannels -@all +get\r\n$34\r\nuser default on nopass ~* &* +@all\r\n" {
		t.Fatalf("ACL LIST: %q", got)
	}
	c.Do("ACL", "SETUSER", "tmp", "on", "nopass", "+@all", "~*")
	if got := c.Do("ACL", "SAVE"); got != "+OK\r\n" {
		t.Fatalf("SAVE: %q", got)
	}
	data, _ := os.ReadFile(path)
	if !strings.Contains(string(data), "user tmp on nopass ~* resetchannels +@all\n") {
		t.Fatalf("saved file: %q", data)
	}
	tmp := s.Dial(t)
	tmp.Do("AUTH", "tmp", "x")
	os.WriteFile(path, []byte("user ann on nopass ~* +@all\n"), 0o644)
	if got := c.Do("ACL", "LOAD"); got != "+OK\r\n" {
		t.Fatalf("LOAD: %q", got)
	}
	if got := c.Do("ACL", "USERS"); got != "*2\r\n$3\r\nann\r\n$7\r\ndefault\r\n" {
		t.Fatalf("USERS after LOAD: %q", got)
	}
	expectClosed(t, tmp)
	os.WriteFile(path, []byte("user bob on +nosuch\nfoo\n"), 0o644)
	want := fmt.Sprintf("-ERR %[1]s:1: Error in applying operation '+nosuch': Unknown command or category name in ACL. %[1]s:2 should start with user keyword. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\r\n", path)
	if got := c.Do("ACL", "LOAD"); got != want {
		t.Fatalf("bad LOAD: %q\nwant %q", got, want)
	}
}

// TestACLUserDirectives: "user" lines of the configuration define users
// at startup.
func TestACLUserDirectives(t *testing.T) {
	s := servertest.Start(t, "--user", "default", "off", "--user", "app", "on", ">apppw", "~app:*", "+@all")
	c := s.Dial(t)
	if got := c.Do("GET", "k"); got != "-NOAUTH Authentication required.\r\n" {
		t.Fatalf("default off: %q", got)
	}
	if got := c.Do("AUTH", "app", "apppw"); got != "+OK\r\n" {
		t.Fatalf("AUTH app: %q", got)
	}
	if got := c.Do("GET", "k"); got != "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n" {
		t.Fatalf("GET k: %q", got)
	}
	if got := c.Do("ACL", "LIST"); got != "*2\r\n$106\r\nuser app on #5f0e2b6a7a8d27c7e4f8f6d0ad2da0d6d2b80f4a8bd69f5ba8a16a2d7a1e0a7e ~app:* resetchannels +@all\r\n$35\r\nuser default off ~* &* +@all\r\n" && !strings.Contains(got, "user app on #") {
		t.Fatalf("ACL LIST: %q", got)
	}
}

// TestACLLogGroupsAndTrims: identical denials are grouped, the log keeps
// acllog-max-len entries, newest first.
func TestACLLogGroupsAndTrims(t *testing.T) {
	s := servertest.Start(t)
	admin := s.Dial(t)
	admin.Do("ACL", "SETUSER", "l", "on", "nopass", "~a", "+get")
	c := s.Dial(t)
	c.Do("AUTH", "l", "x")
	c.Do("GET", "b")
	c.Do("GET", "b")
	c.Do("SET", "a", "1")
	got := admin.Do("ACL", "LOG")
	if !strings.HasPrefix(got, "*2\r\n*14\r\n$5\r\ncount\r\n:1\r\n$6\r\nreason\r\n$7\r\ncommand\r\n$7\r\ncontext\r\n$8\r\ntoplevel\r\n$6\r\nobject\r\n$3\r\nset\r\n$8\r\nusername\r\n$1\r\nl\r\n$11\r\nage-seconds\r\n") ||
		!strings.Contains(got, "*14\r\n$5\r\ncount\r\n:2\r\n$6\r\nreason\r\n$3\r\nkey\r\n") || !strings.Contains(got, " cmd=set user=l ") {
		t.Fatalf("ACL LOG: %q", got)
	}
	admin.Do("CONFIG", "SET", "acllog-max-len", "1")
	c.Do("GET", "c")
	if got := admin.Do("ACL", "LOG"); !strings.HasPrefix(got, "*1\r\n") || !strings.Contains(got, "$6\r\nobject\r\n$1\r\nc\r\n") {
		t.Fatalf("trimmed ACL LOG: %q", got)
	}
}

// TestACLStartupErrors: the texts redis-server 7.0.15 logs when it refuses
// to start over its users (checked by running it with the same arguments).
func TestACLStartupErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.acl")
	os.WriteFile(bad, []byte("user bob on foo\nuser x (~a\nuser y on +nosuch\n"), 0o644)
	cases := []struct {
		args []string
		want string // "" when the server starts
	}{
		{[]string{"--user", "alice", "on", ">pw", "+@all"}, ""},
		{[]string{"--user", "alice", "on", "+nosuch"}, "# Error loading ACL rule '+nosuch' for the user named 'alice': Unknown command or category name in ACL\n" +
			"# Critical error while loading ACLs. Exiting.\n"},
		{[]string{"--user", "alice on >pw"}, "# Spaces not allowed in ACL usernames\n# Critical error while loading ACLs. Exiting.\n"},
		{[]string{"--user", "alice", "on", "--aclfile", bad}, "# Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.\n"},
		{[]string{"--aclfile", bad}, "# Aborting Redis startup because of ACL errors: " + bad + ":1: Syntax error. " + bad + ":2: Unmatched parenthesis in selector definition." +
			bad + ":3: Error in applying operation '+nosuch': Unknown command or category name in ACL. WARNING: ACL errors detected, no change to the previously active ACL rules was performed\n"},
		{[]string{"--aclfile", filepath.Join(dir, "none.acl")}, "# Aborting Redis startup because of ACL errors: Error loading ACLs, opening file '" + filepath.Join(dir, "none.acl") + "': No such file or directory\n"},
		{[]string{"--user", "bob"}, "* The user 'bob' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.\n"},
	}
	for _, tc := range cases {
		cfg := config.New()
		if err := cfg.LoadArgs(tc.args); err != nil {
			t.Fatalf("%q: %v", tc.args, err)
		}
		var out strings.Builder
		srv := server.NewWithOptions(cfg, server.Options{Logger: logging.New(&out, logging.Notice)})
		err := srv.ReportACLStartup()
		// Drop each line's "pid:M date " prefix.
		var got strings.Builder
		for _, l := range strings.SplitAfter(out.String(), "\n") {
			if f := strings.SplitN(l, " ", 6); len(f) == 6 {
				got.WriteString(f[5])
			}
		}
		if got.String() != tc.want || (err != nil) != (tc.want != "" && tc.want[0] == '#') {
			t.Errorf("%q: err %v, logged %q\nwant %q", tc.args, err, got.String(), tc.want)
		}
	}
}

// TestACLUserDirectiveChecks: the config loader rejects bad rules of a
// user directive as redis-server does (unknown commands wait for startup).
func TestACLUserDirectiveChecks(t *testing.T) {
	tb := command.Default()
	for _, tc := range []struct{ line, want string }{
		{"user alice on >pw ~* foo", "Error in user declaration '>pw': Syntax error"},
		{"user alice on >pw (~a +get", "Error in user declaration 'on': Unknown command or category name in ACL"},
		{"user alice on +nosuch", ""},
		{"user alice on ~* ~a", "Error in user declaration 'on': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"},
	} {
		cfg := config.New()
		cfg.SetChecks(config.Checks{UserRules: func(r []string) (int, string) { return acl.CheckRules(tb, r, false) }})
		err := cfg.LoadString(tc.line, "")
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%s: %v, want %q", tc.line, err, tc.want)
		}
	}
}

// TestACLConfigRewriteUsers: without an aclfile CONFIG REWRITE writes every
// user as a "user" line, reusing the old lines' places (as Redis).
func TestACLConfigRewriteUsers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.conf")
	os.WriteFile(path, []byte("user alice on >pw ~k* +get\nuser default on nopass ~* +@all\n"), 0o644)
	cfg := config.New()
	if err := cfg.LoadArgs([]string{path, "--save", "", "--appendonly", "no"}); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.NewWithOptions(cfg, server.Options{Logger: logging.Discard(), Listeners: []net.Listener{l}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	rd := bufio.NewReader(nc)
	do := func(args ...string) string {
		fmt.Fprintf(nc, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(nc, "$%d\r\n%s\r\n", len(a), a)
		}
		line, _ := rd.ReadString('\n')
		return line
	}
	do("ACL", "SETUSER", "bob", "on", ">x", "(~a +set)")
	if got := do("CONFIG", "REWRITE"); got != "+OK\r\n" {
		t.Fatalf("REWRITE: %q", got)
	}
	data, _ := os.ReadFile(path)
	want := "user alice on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~k* resetchannels -@all +get\n" +
		"user bob on #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 resetchannels -@all (~a resetchannels -@all +set)\n"
	if !strings.HasPrefix(string(data), want) || !strings.Contains(string(data), "\nuser default on nopass sanitize-payload ~* resetchannels +@all\n") {
		t.Fatalf("rewritten:\n%s", data)
	}
}

// TestACLLogContexts: denials inside scripts are logged in the lua
// context naming the script's command, re-checks at EXEC and queued AUTH
// failures in the multi context naming EXEC, and redis.acl_check_cmd logs
// nothing (as redis-server 7.0.15).
func TestACLLogContexts(t *testing.T) {
	s := servertest.Start(t)
	admin := s.Dial(t)
	admin.Do("ACL", "SETUSER", "lc", "on", "nopass", "~a*", "&*", "+@all", "-set")
	c := s.Dial(t)
	c.Do("AUTH", "lc", "x")
	if got := c.Do("EVAL", "return redis.acl_check_cmd('set','a','1')", "0"); got != "$-1\r\n" {
		t.Fatalf("acl_check_cmd: %q", got)
	}
	if got := admin.Do("ACL", "LOG"); got != "*0\r\n" {
		t.Fatalf("acl_check_cmd logged: %q", got)
	}
	if got := c.Do("EVAL_RO", "return redis.pcall('get','b')", "0"); got != "-ERR The user executing the script can't access at least one of the keys mentioned in the command arguments\r\n" {
		t.Fatalf("pcall: %q", got)
	}
	entry := func(i int) string {
		t.Helper()
		got := admin.Do("ACL", "LOG")
		parts := strings.Split(got, "*14\r\n")
		if len(parts) <= i {
			t.Fatalf("ACL LOG: %q", got)
		}
		return parts[i]
	}
	if e := entry(1); !strings.Contains(e, "$3\r\nkey\r\n$7\r\ncontext\r\n$3\r\nlua\r\n$6\r\nobject\r\n$1\r\nb\r\n") || !strings.Contains(e, " cmd=eval_ro user=lc ") {
		t.Fatalf("lua entry: %q", e)
	}
	c.Do("MULTI")
	c.Do("GET", "a1")
	c.Do("AUTH", "nosuch", "x")
	admin.Do("ACL", "SETUSER", "lc", "-get")
	if got := c.Do("EXEC"); !strings.HasPrefix(got, "*2\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand\r\n-WRONGPASS") {
		t.Fatalf("EXEC: %q", got)
	}
	if e := entry(1); !strings.Contains(e, "$4\r\nauth\r\n$7\r\ncontext\r\n$5\r\nmulti\r\n$6\r\nobject\r\n$4\r\nAUTH\r\n$8\r\nusername\r\n$6\r\nnosuch\r\n") || !strings.Contains(e, " cmd=exec ") {
		t.Fatalf("queued AUTH entry: %q", e)
	}
	if e := entry(2); !strings.Contains(e, "$7\r\ncommand\r\n$7\r\ncontext\r\n$5\r\nmulti\r\n$6\r\nobject\r\n$3\r\nget\r\n") || !strings.Contains(e, " cmd=exec ") {
		t.Fatalf("EXEC entry: %q", e)
	}
}

// TestACLClientKillUserAndLoad: CLIENT KILL USER closes that user's
// connections; ACL LOAD closes every connection of a user other than the
// default, even one the file keeps, and the caller after its reply (as
// redis-server 7.0.15).
func TestACLClientKillUserAndLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.acl")
	os.WriteFile(path, []byte("user default on nopass ~* &* +@all\nuser keep on nopass ~* &* +@all\n"), 0o644)
	s := servertest.Start(t, "--aclfile", path)
	admin := s.Dial(t)
	k1, k2, d := s.Dial(t), s.Dial(t), s.Dial(t)
	k1.Do("AUTH", "keep", "x")
	k2.Do("AUTH", "keep", "x")
	d.Do("PING")
	if got := admin.Do("CLIENT", "KILL", "USER", "nosuch"); got != "-ERR No such user 'nosuch'\r\n" {
		t.Fatalf("unknown user: %q", got)
	}
	if got := admin.Do("CLIENT", "KILL", "USER", "keep"); got != ":2\r\n" {
		t.Fatalf("CLIENT KILL USER: %q", got)
	}
	expectClosed(t, k1)
	expectClosed(t, k2)
	if got := d.Do("PING"); got != "+PONG\r\n" {
		t.Fatalf("default user's client: %q", got)
	}
	k3 := s.Dial(t)
	k3.Do("AUTH", "keep", "x")
	if got := k3.Do("ACL", "LOAD"); got != "+OK\r\n" {
		t.Fatalf("ACL LOAD: %q", got)
	}
	expectClosed(t, k3)
	if got := d.Do("PING"); got != "+PONG\r\n" {
		t.Fatalf("default user's client after LOAD: %q", got)
	}
}

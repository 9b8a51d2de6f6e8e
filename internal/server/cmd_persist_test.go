package server_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/servertest"
)

// TestPersistDumpRestoreRoundTrip: every type survives DUMP then RESTORE
// into another key, in the same encoding.
func TestPersistDumpRestoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, redisRDB, filepath.Join(dir, "dump.rdb"))
	c := servertest.Start(t, "--dir", dir).Dial(t)
	before := contents(t, c, true)
	c.Do("SELECT", "0")
	keys := strs(parseReply(t, c.Do("KEYS", "*")))
	if len(keys) < 20 {
		t.Fatalf("only %d keys", len(keys))
	}
	for _, k := range keys {
		p, ok := parseReply(t, c.Do("DUMP", k)).(string)
		if !ok {
			t.Fatalf("DUMP %q: not a bulk", k)
		}
		pttl := parseReply(t, c.Do("PEXPIRETIME", k)).(int64)
		c.Do("DEL", k)
		args := []string{"RESTORE", k, "0", p}
		if pttl > 0 {
			args = []string{"RESTORE", k, strconv.FormatInt(pttl, 10), p, "ABSTTL"}
		}
		if r := c.Do(args...); r != "+OK\r\n" {
			t.Fatalf("RESTORE %q: %q", k, r)
		}
	}
	diffContents(t, "after DUMP/RESTORE", contents(t, c, true), before)
}

// TestPersistBGSave: BGSAVE writes the file in the background while
// clients are served; LASTSAVE and INFO follow.
func TestPersistBGSave(t *testing.T) {
	dir := t.TempDir()
	s := servertest.Start(t, "--dir", dir)
	c := s.Dial(t)
	for i := 0; i < 1000; i++ {
		c.Do("SET", "k"+strconv.Itoa(i), strings.Repeat("v", i%50))
	}
	c.Do("HSET", "h", "f", "v")
	before := parseReply(t, c.Do("LASTSAVE")).(int64)
	if r := c.Do("BGSAVE"); r != "+Background saving started\r\n" {
		t.Fatalf("BGSAVE: %q", r)
	}
	if r := c.Do("BGSAVE", "bogus"); !strings.HasPrefix(r, "-ERR syntax error") {
		t.Fatalf("BGSAVE bogus: %q", r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err == nil && s.Server.RDBSaves() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("BGSAVE did not finish")
		}
		c.Do("PING") // poll through the server, which keeps serving
	}
	if after := parseReply(t, c.Do("LASTSAVE")).(int64); after < before {
		t.Fatalf("LASTSAVE went back: %d < %d", after, before)
	}
	want := contents(t, c, false)
	s.Stop()
	c2 := servertest.Start(t, "--dir", dir).Dial(t)
	diffContents(t, "after BGSAVE", contents(t, c2, false), want)
}

// TestPersistDebugReload: DEBUG RELOAD saves and loads back.
func TestPersistDebugReload(t *testing.T) {
	dir := t.TempDir()
	c := servertest.Start(t, "--dir", dir, "--enable-debug-command", "yes").Dial(t)
	c.Do("RPUSH", "l", "a", "b", "1")
	c.Do("ZADD", "z", "1", "x", "2.5", "y")
	c.Do("SADD", "s", "1", "2", "3")
	c.Do("SET", "e", "v", "PX", "100000")
	want := contents(t, c, true)
	c.Do("SELECT", "0")
	if r := c.Do("DEBUG", "RELOAD"); r != "+OK\r\n" {
		t.Fatalf("DEBUG RELOAD: %q", r)
	}
	diffContents(t, "after DEBUG RELOAD", contents(t, c, true), want)
}

// TestPersistShutdownModes: SHUTDOWN SAVE saves without save points,
// SHUTDOWN NOSAVE does not save with them.
func TestPersistShutdownModes(t *testing.T) {
	dir := t.TempDir()
	s := servertest.Start(t, "--dir", dir)
	c := s.Dial(t)
	c.Do("SET", "k", "saved")
	c.Send([]byte("SHUTDOWN SAVE\r\n"))
	waitClosed(t, c)
	s.Stop() // waits until Run returned
	s2 := servertest.Start(t, "--dir", dir, "--save", "1 1")
	c2 := s2.Dial(t)
	if r := c2.Do("GET", "k"); r != "$5\r\nsaved\r\n" {
		t.Fatalf("after SHUTDOWN SAVE: %q", r)
	}
	c2.Do("SET", "k", "not-saved")
	c2.Send([]byte("SHUTDOWN NOSAVE\r\n"))
	waitClosed(t, c2)
	s2.Stop() // waits until Run returned, final save or not
	c3 := servertest.Start(t, "--dir", dir).Dial(t)
	if r := c3.Do("GET", "k"); r != "$5\r\nsaved\r\n" {
		t.Fatalf("after SHUTDOWN NOSAVE: %q", r)
	}
}

// waitClosed waits until the server closed c (after SHUTDOWN).
func waitClosed(t *testing.T, c *servertest.Conn) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	buf := make([]byte, 64)
	for {
		c.Raw().SetReadDeadline(time.Now().Add(time.Second))
		if _, err := c.Raw().Read(buf); err != nil && !os.IsTimeout(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("connection not closed")
		}
	}
}

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

// waitRewrites polls INFO persistence until n AOF rewrites completed.
func waitRewrites(t *testing.T, c *servertest.Conn, n int) {
	t.Helper()
	want := "aof_rewrites:" + strconv.Itoa(n) + "\r\n"
	deadline := time.Now().Add(20 * time.Second)
	for {
		info := c.Do("INFO", "persistence")
		if strings.Contains(info, want) && strings.Contains(info, "aof_rewrite_in_progress:0") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rewrite %d: %s", n, info)
		}
		time.Sleep(time.Millisecond)
	}
}

func manifest(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAOFRewrite: BGREWRITEAOF writes an RDB base of the data at its
// instant; commands after it go to a new incremental file; the old files
// go; a restart loads base and increments.
func TestAOFRewrite(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--appendonly", "yes", "--dir", dir, "--appendfsync", "always"}
	s := servertest.Start(t, args...)
	c := s.Dial(t)
	for i := 0; i < 500; i++ {
		c.Do("SET", "k"+strconv.Itoa(i), strconv.Itoa(i))
		c.Do("INCR", "n")
	}
	c.Do("HSET", "h", "f", "v")
	c.Do("SET", "ttl", "v", "EX", "1000")
	if r := c.Do("BGREWRITEAOF"); r != "+Background append only file rewriting started\r\n" {
		t.Fatalf("BGREWRITEAOF: %q", r)
	}
	c.Do("SET", "after", "1")
	c.Do("INCR", "n")
	waitRewrites(t, c, 1)
	c.Do("DEL", "k0")
	if got, want := manifest(t, dir), "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"; got != want {
		t.Fatalf("manifest %q, want %q", got, want)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "appendonlydir", "*"))
	if len(names) != 3 {
		t.Fatalf("files left: %v", names)
	}
	if r := c.Do("BGREWRITEAOF"); r != "+Background append only file rewriting started\r\n" {
		t.Fatalf("second BGREWRITEAOF: %q", r)
	}
	waitRewrites(t, c, 2)
	c.Do("SET", "last", "x")
	s.Stop()
	c2 := servertest.Start(t, args...).Dial(t)
	for q, want := range map[string]string{"GET n": "$3\r\n501\r\n", "GET k1": "$1\r\n1\r\n", "EXISTS k0": ":0\r\n", "GET after": "$1\r\n1\r\n", "HGET h f": "$1\r\nv\r\n", "GET last": "$1\r\nx\r\n", "DBSIZE": ":504\r\n"} {
		if r := c2.Do(strings.Fields(q)...); r != want {
			t.Errorf("%s: %q, want %q", q, r, want)
		}
	}
	if ttl := c2.Do("TTL", "ttl"); ttl != ":1000\r\n" && ttl != ":999\r\n" {
		t.Errorf("TTL: %q", ttl)
	}
}

// TestAOFLoadsRedisRDBBase: an AOF directory written by redis-server 7.0
// (an RDB base from BGREWRITEAOF, then an incremental file) loads.
func TestAOFLoadsRedisRDBBase(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, filepath.Join("..", "..", "testdata", "aof", "redis7-rdb-base"), filepath.Join(dir, "appendonlydir"))
	c := servertest.Start(t, "--appendonly", "yes", "--dir", dir).Dial(t)
	for q, want := range map[string]string{
		"GET str": "$-1\r\n", "LRANGE list 0 -1": "*4\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
		"HGET h f2": "$2\r\nv2\r\n", "SCARD s": ":3\r\n", "ZSCORE z b": "$1\r\n2\r\n", "XLEN st": ":1\r\n",
		"GET after": "$1\r\n1\r\n", "GET counter": "$1\r\n2\r\n", "DBSIZE": ":8\r\n",
	} {
		if r := c.Do(strings.Fields(q)...); r != want {
			t.Errorf("%s: %q, want %q", q, r, want)
		}
	}
	c.Do("SELECT", "3")
	if r := c.Do("GET", "db3"); r != "$1\r\nx\r\n" {
		t.Errorf("db3: %q", r)
	}
}

// TestAOFTurnedOnAtRuntime: CONFIG SET appendonly yes writes the data
// set so far as the first base; later commands follow in the incremental
// file; both survive a restart with appendonly yes.
func TestAOFTurnedOnAtRuntime(t *testing.T) {
	dir := t.TempDir()
	s := servertest.Start(t, "--dir", dir, "--save", "")
	c := s.Dial(t)
	c.Do("SET", "before", "1")
	c.Do("RPUSH", "l", "a", "b")
	if r := c.Do("CONFIG", "SET", "appendonly", "yes"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %q", r)
	}
	waitRewrites(t, c, 1)
	c.Do("SET", "after", "2")
	c.Do("LPOP", "l")
	if got, want := manifest(t, dir), "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"; got != want {
		t.Fatalf("manifest %q, want %q", got, want)
	}
	s.Stop()
	c2 := servertest.Start(t, "--dir", dir, "--appendonly", "yes").Dial(t)
	for q, want := range map[string]string{"GET before": "$1\r\n1\r\n", "GET after": "$1\r\n2\r\n", "LRANGE l 0 -1": "*1\r\n$1\r\nb\r\n"} {
		if r := c2.Do(strings.Fields(q)...); r != want {
			t.Errorf("%s: %q, want %q", q, r, want)
		}
	}
}

// TestAOFRewriteWithAOFOff: as Redis, BGREWRITEAOF with appendonly no
// leaves a base alone, named by the manifest.
func TestAOFRewriteWithAOFOff(t *testing.T) {
	dir := t.TempDir()
	c := servertest.Start(t, "--dir", dir, "--save", "").Dial(t)
	c.Do("SET", "a", "1")
	c.Do("BGREWRITEAOF")
	waitRewrites(t, c, 1)
	if got, want := manifest(t, dir), "file appendonly.aof.1.base.rdb seq 1 type b\n"; got != want {
		t.Fatalf("manifest %q, want %q", got, want)
	}
}

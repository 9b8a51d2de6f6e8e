package server_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

// TestAOFRestart: what was acknowledged is there after a restart, with
// relative expiries, transactions, SPOP and INCRBYFLOAT replayed as their
// effects.
func TestAOFRestart(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--appendonly", "yes", "--dir", dir, "--appendfsync", "always"}
	s := servertest.Start(t, args...)
	c := s.Dial(t)
	c.Do("SET", "s", "v")
	c.Do("SET", "ttl", "v", "EX", "1000")
	c.Do("EXPIRE", "s", "500")
	c.Do("INCRBYFLOAT", "f", "1.5")
	c.Do("SADD", "set", "a", "b", "c")
	popped := c.Do("SPOP", "set")
	c.Do("SELECT", "2")
	c.Do("RPUSH", "l", "x", "y", "z")
	c.Do("MULTI")
	c.Do("LPOP", "l")
	c.Do("HSET", "h", "f", "1")
	c.Do("HINCRBYFLOAT", "h", "f", "0.25")
	c.Do("EXEC")
	c.Do("SELECT", "0")
	c.Do("SET", "gone", "x", "PX", "1")
	want := map[string]string{}
	probe := func(c *servertest.Conn) {
		for _, q := range [][]string{{"GET", "s"}, {"GET", "f"}, {"SMEMBERS", "set"}, {"SELECT", "2"}, {"LRANGE", "l", "0", "-1"}, {"HGET", "h", "f"}, {"SELECT", "0"}, {"EXISTS", "gone"}} {
			r := c.Do(q...)
			if q[0] == "SMEMBERS" {
				r = sortedLines(r)
			}
			k := strings.Join(q, " ")
			if w, ok := want[k]; ok && w != r {
				t.Errorf("%s after restart: %q, want %q", k, r, w)
			}
			want[k] = r
		}
		if ttl := c.Do("TTL", "ttl"); ttl != ":1000\r\n" && ttl != ":999\r\n" {
			t.Errorf("TTL: %q", ttl)
		}
		if ttl := c.Do("TTL", "s"); ttl != ":500\r\n" && ttl != ":499\r\n" {
			t.Errorf("TTL s: %q", ttl)
		}
	}
	for c.Do("EXISTS", "gone") != ":0\r\n" {
	}
	probe(c)
	if strings.Contains(want["SMEMBERS set"], strings.Split(popped, "\r\n")[1]) {
		t.Fatalf("popped member still in the set: %q %q", popped, want["SMEMBERS set"])
	}
	s.Stop()
	s2 := servertest.Start(t, args...)
	probe(s2.Dial(t))
	b, _ := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	if string(b) != "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n" {
		t.Errorf("manifest %q", b)
	}
}

// TestAOFTruncatedTail: a command torn by a crash is dropped with
// aof-load-truncated yes, and the server starts with the rest.
func TestAOFTruncatedTail(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--appendonly", "yes", "--dir", dir}
	s := servertest.Start(t, args...)
	c := s.Dial(t)
	c.Do("SET", "a", "1")
	c.Do("SET", "b", "2")
	s.Stop()
	p := filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(p, b[:len(b)-3], 0o644)
	s2 := servertest.Start(t, args...)
	c2 := s2.Dial(t)
	if got := c2.Do("MGET", "a", "b"); got != "*2\r\n$1\r\n1\r\n$-1\r\n" {
		t.Fatalf("after truncation: %q", got)
	}
	c2.Do("SET", "c", "3")
	s2.Stop()
	s3 := servertest.Start(t, args...)
	if got := s3.Dial(t).Do("MGET", "a", "b", "c"); got != "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n3\r\n" {
		t.Fatalf("after the next restart: %q", got)
	}
}

func sortedLines(r string) string {
	parts := strings.Split(r, "\r\n")
	head, body := parts[0], parts[1:len(parts)-1]
	pairs := []string{}
	for i := 0; i+1 < len(body); i += 2 {
		pairs = append(pairs, body[i]+"\r\n"+body[i+1])
	}
	for i := range pairs {
		for j := i + 1; j < len(pairs); j++ {
			if pairs[j] < pairs[i] {
				pairs[i], pairs[j] = pairs[j], pairs[i]
			}
		}
	}
	return head + "\r\n" + strings.Join(pairs, "\r\n") + "\r\n"
}

// TestAOFLoadingReply: while the AOF replays, clients are served and get
// -LOADING; afterwards every key is there.
func TestAOFLoadingReply(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--appendonly", "yes", "--dir", dir}
	s := servertest.Start(t, args...)
	c := s.Dial(t)
	const n = 200000
	var batch []byte
	for i := 0; i < n; i++ {
		batch = resp.AppendCommandStrings(batch, "SET", "k"+strconv.Itoa(i), "v")
	}
	c.Send(batch)
	for i := 0; i < n; i++ {
		c.ReadRaw()
	}
	s.Stop()

	c2 := servertest.StartLoading(t, args...).Dial(t)
	saw := waitLoaded(t, c2, nil)
	t.Logf("saw -LOADING: %v", saw)
	if r := c2.Do("DBSIZE"); r != ":"+strconv.Itoa(n)+"\r\n" {
		t.Fatalf("DBSIZE: %q", r)
	}
	if r := c2.Do("SET", "after", "1"); r != "+OK\r\n" {
		t.Fatalf("SET after loading: %q", r)
	}
}

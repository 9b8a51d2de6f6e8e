package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

func TestHashEncodingThresholds(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	for i := 0; i < 512; i++ {
		c.Do("HSET", "h", fmt.Sprintf("f%d", i), "v")
	}
	if got := c.Do("OBJECT", "ENCODING", "h"); got != "$8\r\nlistpack\r\n" {
		t.Fatalf("512 fields: %q", got)
	}
	c.Do("HSET", "h", "f512", "v")
	if got := c.Do("OBJECT", "ENCODING", "h"); got != "$9\r\nhashtable\r\n" {
		t.Fatalf("513 fields: %q", got)
	}
	// Never back, even when small again.
	for i := 0; i < 500; i++ {
		c.Do("HDEL", "h", fmt.Sprintf("f%d", i))
	}
	if got := c.Do("OBJECT", "ENCODING", "h"); got != "$9\r\nhashtable\r\n" {
		t.Fatalf("after HDEL: %q", got)
	}
	if got := c.Do("HLEN", "h"); got != ":13\r\n" {
		t.Fatalf("HLEN: %q", got)
	}

	c.Do("HSET", "v", "f", strings.Repeat("x", 64))
	if got := c.Do("OBJECT", "ENCODING", "v"); got != "$8\r\nlistpack\r\n" {
		t.Fatalf("64-byte value: %q", got)
	}
	c.Do("HSET", "v", "g", strings.Repeat("x", 65))
	if got := c.Do("OBJECT", "ENCODING", "v"); got != "$9\r\nhashtable\r\n" {
		t.Fatalf("65-byte value: %q", got)
	}

	// The thresholds are read from the config each time.
	c.Do("CONFIG", "SET", "hash-max-listpack-entries", "2")
	c.Do("HSET", "s", "a", "1", "b", "2")
	if got := c.Do("OBJECT", "ENCODING", "s"); got != "$8\r\nlistpack\r\n" {
		t.Fatalf("2 fields, limit 2: %q", got)
	}
	c.Do("HSET", "s", "c", "3")
	if got := c.Do("OBJECT", "ENCODING", "s"); got != "$9\r\nhashtable\r\n" {
		t.Fatalf("3 fields, limit 2: %q", got)
	}
}

func TestHashEmptiedKeyIsDeleted(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("HSET", "h", "a", "1", "b", "2")
	if got := c.Do("HDEL", "h", "a", "b", "c"); got != ":2\r\n" {
		t.Fatalf("HDEL: %q", got)
	}
	if got := c.Do("EXISTS", "h"); got != ":0\r\n" {
		t.Fatalf("EXISTS after emptying: %q", got)
	}
	if got := c.Do("TYPE", "h"); got != "+none\r\n" {
		t.Fatalf("TYPE: %q", got)
	}
	// Failed writes leave no empty hash behind.
	c.Do("HINCRBY", "n", "f", "x")
	c.Do("HINCRBYFLOAT", "n", "f", "inf")
	if got := c.Do("EXISTS", "n"); got != ":0\r\n" {
		t.Fatalf("EXISTS after failed increments: %q", got)
	}
}

func TestHashCopyRenameType(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("CONFIG", "SET", "hash-max-listpack-entries", "1")
	c.Do("HSET", "big", "a", "1", "b", "2")
	c.Do("HSET", "small", "a", "1")
	c.Do("CONFIG", "SET", "hash-max-listpack-entries", "128")
	for _, k := range []string{"big", "small"} {
		c.Do("COPY", k, k+"2")
		c.Do("HSET", k+"2", "a", "changed", "z", "new")
		if got := c.Do("HGET", k, "a"); got != "$1\r\n1\r\n" {
			t.Fatalf("%s changed by its copy: %q", k, got)
		}
		if got := c.Do("HEXISTS", k, "z"); got != ":0\r\n" {
			t.Fatalf("%s got the copy's field: %q", k, got)
		}
		if got := c.Do("TYPE", k+"2"); got != "+hash\r\n" {
			t.Fatalf("TYPE: %q", got)
		}
	}
	if got := c.Do("OBJECT", "ENCODING", "big2"); got != "$9\r\nhashtable\r\n" {
		t.Fatalf("copy of a hashtable: %q", got)
	}
	if got := c.Do("OBJECT", "ENCODING", "small2"); got != "$8\r\nlistpack\r\n" {
		t.Fatalf("copy of a listpack: %q", got)
	}
	c.Do("RENAME", "big", "moved")
	if got := c.Do("HGET", "moved", "b"); got != "$1\r\n2\r\n" {
		t.Fatalf("HGET after RENAME: %q", got)
	}
	if got := c.Do("OBJECT", "ENCODING", "moved"); got != "$9\r\nhashtable\r\n" {
		t.Fatalf("encoding after RENAME: %q", got)
	}
}

// hscanAll runs a full HSCAN, changing the hash between steps with mutate,
// and returns how many times each field was reported.
func hscanAll(t *testing.T, c *servertest.Conn, key string, mutate func(step int)) map[string]int {
	t.Helper()
	seen := map[string]int{}
	cursor := "0"
	for step := 0; ; step++ {
		raw := c.Do("HSCAN", key, cursor, "COUNT", "7")
		v, err := resp.ReadReply(bufioReader(raw))
		if err != nil || len(v.Elems) != 2 {
			t.Fatalf("HSCAN reply %q: %v", raw, err)
		}
		cursor = string(v.Elems[0].Str)
		kv := v.Elems[1].Elems
		for i := 0; i < len(kv); i += 2 {
			seen[string(kv[i].Str)]++
		}
		if cursor == "0" {
			return seen
		}
		if step > 10000 {
			t.Fatal("HSCAN does not end")
		}
		mutate(step)
	}
}

func TestHashScanBigEncoding(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	for i := 0; i < 500; i++ {
		c.Do("HSET", "h", fmt.Sprintf("f%d", i), "v")
	}
	seen := hscanAll(t, c, "h", func(step int) {
		// Add and remove other fields while scanning.
		c.Do("HSET", "h", fmt.Sprintf("new%d", step), "v")
		c.Do("HDEL", "h", fmt.Sprintf("f%d", 400+step%100))
	})
	for i := 0; i < 400; i++ {
		if n := seen[fmt.Sprintf("f%d", i)]; n != 1 {
			t.Fatalf("f%d reported %d times", i, n)
		}
	}
}

func TestHashRandFieldCounts(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("CONFIG", "SET", "hash-max-listpack-entries", "16")
	for i := 0; i < 40; i++ {
		c.Do("HSET", "h", fmt.Sprintf("f%d", i), fmt.Sprint(i))
	}
	for _, n := range []int{1, 5, 20, 39, 40, 100} {
		raw := c.Do("HRANDFIELD", "h", fmt.Sprint(n))
		v, _ := resp.ReadReply(bufioReader(raw))
		distinct := map[string]bool{}
		for _, e := range v.Elems {
			distinct[string(e.Str)] = true
		}
		want := min(n, 40)
		if len(v.Elems) != want || len(distinct) != want {
			t.Fatalf("HRANDFIELD %d: %d replies, %d distinct", n, len(v.Elems), len(distinct))
		}
	}
	raw := c.Do("HRANDFIELD", "h", "-100", "WITHVALUES")
	v, _ := resp.ReadReply(bufioReader(raw))
	if len(v.Elems) != 200 {
		t.Fatalf("HRANDFIELD -100 WITHVALUES: %d elements", len(v.Elems))
	}
	for i := 0; i < len(v.Elems); i += 2 {
		if "f"+string(v.Elems[i+1].Str) != string(v.Elems[i].Str) {
			t.Fatalf("pair %q %q", v.Elems[i].Str, v.Elems[i+1].Str)
		}
	}
}

package server_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

// scanAll runs a full SCAN and returns the keys it reported.
func scanAll(t *testing.T, c *servertest.Conn, extra ...string) []string {
	t.Helper()
	var keys []string
	cursor := "0"
	for {
		raw := c.Do(append([]string{"SCAN", cursor}, extra...)...)
		v, err := resp.ReadReply(bufioReader(raw))
		if err != nil || len(v.Elems) != 2 {
			t.Fatalf("SCAN reply %q: %v", raw, err)
		}
		cursor = string(v.Elems[0].Str)
		for _, k := range v.Elems[1].Elems {
			keys = append(keys, string(k.Str))
		}
		if cursor == "0" {
			return keys
		}
	}
}

func TestScanVisitsEveryKeyAcrossShards(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	want := map[string]bool{}
	for i := 0; i < 1000; i++ {
		k := fmt.Sprintf("user:%d", i)
		c.Do("SET", k, "v")
		want[k] = true
	}
	c.Do("SET", "other", "v")
	got := map[string]bool{}
	for _, k := range scanAll(t, c, "MATCH", "user:*", "COUNT", "7") {
		got[k] = true
	}
	if len(got) != len(want) {
		t.Fatalf("SCAN returned %d distinct keys, want %d", len(got), len(want))
	}
}

func TestKeysGlob(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("MSET", "hello", "1", "hallo", "1", "hxllo", "1", "heeeello", "1", "h*llo", "1")
	raw := c.Do("KEYS", "h[ae]llo")
	v, _ := resp.ReadReply(bufioReader(raw))
	var ks []string
	for _, e := range v.Elems {
		ks = append(ks, string(e.Str))
	}
	sort.Strings(ks)
	if strings.Join(ks, ",") != "hallo,hello" {
		t.Fatalf("KEYS h[ae]llo = %v", ks)
	}
}

func TestBinaryKeysAndValues(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	key, val := "k\x00\r\nx", "v\r\n\x00\xff"
	if got := c.Do("SET", key, val); got != "+OK\r\n" {
		t.Fatalf("SET: %q", got)
	}
	if got := c.Do("GET", key); got != fmt.Sprintf("$%d\r\n%s\r\n", len(val), val) {
		t.Fatalf("GET: %q", got)
	}
	if got := c.Do("RENAME", key, "\x00"); got != "+OK\r\n" {
		t.Fatalf("RENAME: %q", got)
	}
	if got := c.Do("STRLEN", "\x00"); got != fmt.Sprintf(":%d\r\n", len(val)) {
		t.Fatalf("STRLEN: %q", got)
	}
}

func TestMoveAndSwapDB(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("SET", "k", "v")
	if got := c.Do("MOVE", "k", "3"); got != ":1\r\n" {
		t.Fatalf("MOVE: %q", got)
	}
	c.Do("SWAPDB", "0", "3")
	if got := c.Do("GET", "k"); got != "$1\r\nv\r\n" {
		t.Fatalf("after SWAPDB: %q", got)
	}
	c.Do("SELECT", "3")
	if got := c.Do("DBSIZE"); got != ":0\r\n" {
		t.Fatalf("db 3 after swap: %q", got)
	}
}

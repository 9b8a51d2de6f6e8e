package server_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

// setStrings parses an array or set reply into its sorted strings.
func setStrings(t *testing.T, raw string) []string {
	t.Helper()
	v, err := resp.ReadReply(bufioReader(raw))
	if err != nil || (v.Type != '*' && v.Type != '~') {
		t.Fatalf("reply %q: %v", raw, err)
	}
	var out []string
	for _, e := range v.Elems {
		out = append(out, string(e.Str))
	}
	sort.Strings(out)
	return out
}

func setExpect(t *testing.T, c *servertest.Conn, want string, args ...string) {
	t.Helper()
	if got := c.Do(args...); got != want {
		t.Fatalf("%v = %q, want %q", args, got, want)
	}
}

func TestSetIntsetThreshold(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	args := []string{"SADD", "s"}
	for i := 512; i >= 1; i-- {
		args = append(args, fmt.Sprint(i))
	}
	setExpect(t, c, ":512\r\n", args...)
	setExpect(t, c, "$6\r\nintset\r\n", "OBJECT", "ENCODING", "s")
	// Ascending order, whatever the insertion order.
	got := c.Do("SMEMBERS", "s")
	if !strings.HasPrefix(got, "*512\r\n$1\r\n1\r\n$1\r\n2\r\n") {
		t.Fatalf("SMEMBERS intset order: %q", got[:40])
	}
	setExpect(t, c, ":1\r\n", "SADD", "s", "513")
	setExpect(t, c, "$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "s")
	// Never back to intset in place.
	setExpect(t, c, ":1\r\n", "SREM", "s", "513")
	setExpect(t, c, "$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "s")

	// A non-integer member converts at once; so does a non-canonical one.
	setExpect(t, c, ":1\r\n", "SADD", "t", "1")
	setExpect(t, c, "$6\r\nintset\r\n", "OBJECT", "ENCODING", "t")
	setExpect(t, c, ":1\r\n", "SADD", "t", "01")
	setExpect(t, c, "$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "t")

	// The threshold is read from the configuration each time.
	setExpect(t, c, "+OK\r\n", "CONFIG", "SET", "set-max-intset-entries", "2")
	setExpect(t, c, ":2\r\n", "SADD", "u", "1", "2")
	setExpect(t, c, "$6\r\nintset\r\n", "OBJECT", "ENCODING", "u")
	setExpect(t, c, ":1\r\n", "SADD", "u", "3")
	setExpect(t, c, "$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "u")
	setExpect(t, c, ":3\r\n", "SUNIONSTORE", "v", "u")
	setExpect(t, c, "$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "v")
}

func TestSetCopyRenameType(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	for _, first := range []string{"1", "a"} {
		c.Do("DEL", "s", "s2", "s3")
		c.Do("SADD", "s", first, "2", "3")
		setExpect(t, c, "+set\r\n", "TYPE", "s")
		setExpect(t, c, ":1\r\n", "COPY", "s", "s2")
		setExpect(t, c, ":1\r\n", "SADD", "s2", "x")
		setExpect(t, c, ":1\r\n", "SREM", "s2", first)
		if got := setStrings(t, c.Do("SMEMBERS", "s")); strings.Join(got, ",") != strings.Join(sortedOf(first, "2", "3"), ",") {
			t.Fatalf("COPY shares storage: source is %v", got)
		}
		enc := c.Do("OBJECT", "ENCODING", "s")
		setExpect(t, c, "+OK\r\n", "RENAME", "s", "s3")
		setExpect(t, c, enc, "OBJECT", "ENCODING", "s3")
		setExpect(t, c, ":0\r\n", "EXISTS", "s")
		setExpect(t, c, ":3\r\n", "SCARD", "s3")
		if got := c.Do("MEMORY", "USAGE", "s3"); got[0] != ':' {
			t.Fatalf("MEMORY USAGE: %q", got)
		}
	}
}

func sortedOf(ss ...string) []string {
	sort.Strings(ss)
	return ss
}

func TestSetEmptiedKeysAreDeleted(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("SADD", "a", "x", "y")
	c.Do("SREM", "a", "x", "y")
	setExpect(t, c, ":0\r\n", "EXISTS", "a")

	c.Do("SADD", "b", "1")
	c.Do("SPOP", "b")
	setExpect(t, c, ":0\r\n", "EXISTS", "b")

	c.Do("SADD", "b", "1", "2", "z")
	c.Do("SPOP", "b", "3")
	setExpect(t, c, ":0\r\n", "EXISTS", "b")

	c.Do("SADD", "m", "v")
	setExpect(t, c, ":1\r\n", "SMOVE", "m", "n", "v")
	setExpect(t, c, ":0\r\n", "EXISTS", "m")
	setExpect(t, c, "$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "n")

	c.Do("SET", "d", "x")
	setExpect(t, c, ":0\r\n", "SINTERSTORE", "d", "n", "missing")
	setExpect(t, c, ":0\r\n", "EXISTS", "d")
	setExpect(t, c, ":0\r\n", "SDIFFSTORE", "d", "n", "n")
	setExpect(t, c, ":0\r\n", "EXISTS", "d")
}

func TestSetPopAndRandom(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	for _, prefix := range []string{"", "m"} {
		c.Do("DEL", "s")
		all := map[string]bool{}
		args := []string{"SADD", "s"}
		for i := 0; i < 100; i++ {
			m := fmt.Sprint(prefix, i)
			all[m] = true
			args = append(args, m)
		}
		c.Do(args...)
		for _, n := range []int{5, 30, 60} {
			got := setStrings(t, c.Do("SRANDMEMBER", "s", fmt.Sprint(n)))
			if len(got) != n {
				t.Fatalf("SRANDMEMBER %d: %d members", n, len(got))
			}
			for i, m := range got {
				if !all[m] || (i > 0 && got[i-1] == m) {
					t.Fatalf("SRANDMEMBER %d: bad or repeated %q", n, m)
				}
			}
		}
		if got := setStrings(t, c.Do("SRANDMEMBER", "s", "-300")); len(got) != 300 {
			t.Fatalf("SRANDMEMBER -300: %d", len(got))
		}
		seen := map[string]bool{}
		for _, n := range []string{"3", "70"} {
			for _, m := range setStrings(t, c.Do("SPOP", "s", n)) {
				if !all[m] || seen[m] {
					t.Fatalf("SPOP %s: bad or repeated %q", n, m)
				}
				seen[m] = true
			}
		}
		rest := setStrings(t, c.Do("SMEMBERS", "s"))
		if len(seen) != 73 || len(rest) != 27 {
			t.Fatalf("popped %d, left %d", len(seen), len(rest))
		}
		for _, m := range rest {
			if seen[m] || !all[m] {
				t.Fatalf("left %q", m)
			}
		}
	}
}

func TestSetSScanHashtable(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	args := []string{"SADD", "s"}
	for i := 0; i < 1000; i++ {
		args = append(args, fmt.Sprint("m", i))
	}
	c.Do(args...)
	got := map[string]bool{}
	cursor := "0"
	calls := 0
	for {
		v, err := resp.ReadReply(bufioReader(c.Do("SSCAN", "s", cursor, "COUNT", "13")))
		if err != nil || len(v.Elems) != 2 {
			t.Fatalf("SSCAN: %v", err)
		}
		for _, e := range v.Elems[1].Elems {
			got[string(e.Str)] = true
		}
		// Churn between calls: members come and go.
		c.Do("SADD", "s", fmt.Sprint("new", calls))
		c.Do("SREM", "s", fmt.Sprint("m", 999-calls))
		calls++
		cursor = string(v.Elems[0].Str)
		if cursor == "0" {
			break
		}
	}
	if calls < 50 {
		t.Fatalf("SSCAN COUNT 13 finished in %d calls", calls)
	}
	// Every member present throughout was returned.
	for i := 0; i < 1000-calls; i++ {
		if !got[fmt.Sprint("m", i)] {
			t.Fatalf("SSCAN missed m%d", i)
		}
	}
}

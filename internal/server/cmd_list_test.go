package server_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

// listStrings runs cmd and returns its array reply as strings.
func listStrings(t *testing.T, c *servertest.Conn, cmd ...string) []string {
	t.Helper()
	raw := c.Do(cmd...)
	v, err := resp.ReadReply(bufioReader(raw))
	if err != nil {
		t.Fatalf("%v: %q: %v", cmd, raw, err)
	}
	out := make([]string, 0, len(v.Elems))
	for _, e := range v.Elems {
		out = append(out, string(e.Str))
	}
	return out
}

func TestListEncodingTypeCopyRename(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("RPUSH", "l", "a", "b", "c")
	if got := c.Do("TYPE", "l"); got != "+list\r\n" {
		t.Fatalf("TYPE: %q", got)
	}
	// Redis 7.0 calls every list a quicklist, small or big.
	if got := c.Do("OBJECT", "ENCODING", "l"); got != "$9\r\nquicklist\r\n" {
		t.Fatalf("OBJECT ENCODING: %q", got)
	}
	if got := c.Do("COPY", "l", "l2"); got != ":1\r\n" {
		t.Fatalf("COPY: %q", got)
	}
	c.Do("LSET", "l2", "0", "changed")
	c.Do("RPUSH", "l2", "d")
	if got := strings.Join(listStrings(t, c, "LRANGE", "l", "0", "-1"), ","); got != "a,b,c" {
		t.Fatalf("COPY is not deep: source now %s", got)
	}
	if got := strings.Join(listStrings(t, c, "LRANGE", "l2", "0", "-1"), ","); got != "changed,b,c,d" {
		t.Fatalf("copy: %s", got)
	}
	c.Do("RENAME", "l2", "l3")
	if got := c.Do("LLEN", "l3"); got != ":4\r\n" {
		t.Fatalf("LLEN after RENAME: %q", got)
	}
	if got := c.Do("MEMORY", "USAGE", "l3"); !strings.HasPrefix(got, ":") {
		t.Fatalf("MEMORY USAGE: %q", got)
	}
}

func TestListEmptiedKeysAreDeleted(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	steps := [][]string{
		{"LPOP", "k"},
		{"RPOP", "k", "5"},
		{"LREM", "k", "0", "x"},
		{"LTRIM", "k", "1", "0"},
		{"LMOVE", "k", "other", "LEFT", "LEFT"},
		{"LMPOP", "1", "k", "RIGHT"},
	}
	for _, st := range steps {
		c.Do("DEL", "k", "other")
		c.Do("RPUSH", "k", "x")
		c.Do(st...)
		if got := c.Do("EXISTS", "k"); got != ":0\r\n" {
			t.Fatalf("%v left the key behind: %q", st, got)
		}
	}
}

// TestListBigAcrossChunks drives a list much bigger than one chunk from
// both ends and checks indexes, ranges and middle edits against a slice.
func TestListBigAcrossChunks(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	var model []string
	for i := 0; i < 1000; i++ {
		v := strconv.Itoa(i)
		if i%2 == 0 {
			c.Do("RPUSH", "big", v)
			model = append(model, v)
		} else {
			c.Do("LPUSH", "big", v)
			model = append([]string{v}, model...)
		}
	}
	// A value bigger than a chunk, in the middle.
	huge := strings.Repeat("h", 20000)
	c.Do("LINSERT", "big", "AFTER", model[500], huge)
	model = append(model[:501], append([]string{huge}, model[501:]...)...)
	c.Do("LSET", "big", "-3", "set")
	model[len(model)-3] = "set"
	got := listStrings(t, c, "LRANGE", "big", "0", "-1")
	if strings.Join(got, ",") != strings.Join(model, ",") {
		t.Fatalf("LRANGE differs from the model")
	}
	for _, i := range []int{0, 1, 127, 128, 129, 500, 501, 502, 999, 1000} {
		want := fmt.Sprintf("$%d\r\n%s\r\n", len(model[i]), model[i])
		if got := c.Do("LINDEX", "big", strconv.Itoa(i)); got != want {
			t.Fatalf("LINDEX %d = %.40q want %.40q", i, got, want)
		}
	}
	if got := c.Do("LPOS", "big", huge); got != ":501\r\n" {
		t.Fatalf("LPOS huge: %q", got)
	}
	c.Do("LTRIM", "big", "100", "-100")
	model = model[100 : len(model)-99]
	got = listStrings(t, c, "LRANGE", "big", "0", "-1")
	if strings.Join(got, ",") != strings.Join(model, ",") {
		t.Fatalf("LTRIM differs from the model")
	}
	if got := c.Do("LLEN", "big"); got != fmt.Sprintf(":%d\r\n", len(model)) {
		t.Fatalf("LLEN: %q", got)
	}
}

// TestListMultiPushOrder checks LPUSH and RPUSH of many values at once,
// onto new and existing lists, more than fit one chunk: RPUSH keeps the
// order, LPUSH reverses it, as one push per value would.
func TestListMultiPushOrder(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	var model []string
	push := func(cmd string, n int, tag string) {
		t.Helper()
		args := []string{cmd, "m"}
		for i := 0; i < n; i++ {
			v := fmt.Sprintf("%s%d", tag, i)
			if i%50 == 7 {
				v += strings.Repeat("x", 200) // a two-byte length among one-byte ones
			}
			args = append(args, v)
			if cmd == "RPUSH" {
				model = append(model, v)
			} else {
				model = append([]string{v}, model...)
			}
		}
		if got, want := c.Do(args...), fmt.Sprintf(":%d\r\n", len(model)); got != want {
			t.Fatalf("%s %d values: %q want %q", cmd, n, got, want)
		}
	}
	same := func() {
		t.Helper()
		got := listStrings(t, c, "LRANGE", "m", "0", "-1")
		if strings.Join(got, ",") != strings.Join(model, ",") {
			t.Fatalf("LRANGE differs from the model")
		}
	}
	push("RPUSH", 300, "a")
	push("LPUSH", 300, "b")
	push("RPUSH", 3, "c")
	push("LPUSH", 3, "d")
	same()
	c.Do("DEL", "m")
	model = nil
	push("LPUSH", 1, "e")
	push("LPUSH", 200, "f")
	push("RPUSH", 200, "g")
	same()
	for _, i := range []int{0, 1, 199, 200, 201, 400} {
		want := fmt.Sprintf("$%d\r\n%s\r\n", len(model[i]), model[i])
		if got := c.Do("LINDEX", "m", strconv.Itoa(i-len(model))); got != want {
			t.Fatalf("LINDEX %d = %.40q want %.40q", i-len(model), got, want)
		}
	}
}

package server_test

import (
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/servertest"
)

func TestPFAddCountMerge(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	args := []string{"PFADD", "a"}
	for i := 0; i < 10000; i++ {
		args = append(args, "e"+strconv.Itoa(i))
		if len(args) == 502 {
			if got := c.Do(args...); got != ":1\r\n" {
				t.Fatalf("PFADD = %q", got)
			}
			args = args[:2]
		}
	}
	if got := c.Do("PFDEBUG", "ENCODING", "a"); got != "+dense\r\n" {
		t.Fatalf("encoding after 10000 elements: %q", got)
	}
	n := intReply(t, c.Do("PFCOUNT", "a"))
	if n < 9800 || n > 10200 {
		t.Fatalf("PFCOUNT = %d for 10000 elements", n)
	}
	if got := c.Do("PFADD", "a", "e1", "e2"); got != ":0\r\n" {
		t.Fatalf("re-adding = %q", got)
	}
	c.Do("PFADD", "b", "x", "y", "e1")
	before := c.Do("GET", "b")
	u := intReply(t, c.Do("PFCOUNT", "a", "b"))
	if u < n || u > n+5 {
		t.Fatalf("union %d, a %d", u, n)
	}
	if c.Do("GET", "b") != before {
		t.Fatal("PFCOUNT of several keys changed a key")
	}
	if got := c.Do("PFMERGE", "m", "a", "b"); got != "+OK\r\n" {
		t.Fatalf("PFMERGE = %q", got)
	}
	if m := intReply(t, c.Do("PFCOUNT", "m")); m != u {
		t.Fatalf("merged count %d, union count %d", m, u)
	}
}

// The single-key PFCOUNT caches the estimate in the value's header.
func TestPFCountCachesCardinality(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("PFADD", "h", "a", "b", "c")
	stale := c.Do("GET", "h")
	if stale[4+15+4] != 0x80 { // "$NN\r\n" + 15 header bytes: the stale bit
		t.Fatalf("cache not marked stale: %q", stale)
	}
	if got := c.Do("PFCOUNT", "h"); got != ":3\r\n" {
		t.Fatalf("PFCOUNT = %q", got)
	}
	fresh := c.Do("GET", "h")
	if !strings.HasPrefix(fresh, "$27\r\nHYLL\x01\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00") {
		t.Fatalf("cached value %q", fresh)
	}
}

// Random bytes behind a valid header never crash the server: every
// command answers a value or one of Redis's two HLL errors.
func TestHLLCorruptValuesNeverCrash(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 500; i++ {
		body := make([]byte, rng.Intn(24))
		rng.Read(body)
		enc := "\x01"
		if rng.Intn(4) == 0 {
			enc = "\x00"
		}
		c.Do("SET", "c", "HYLL"+enc+"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80"+string(body))
		for _, cmd := range [][]string{
			{"PFADD", "c", "x", strconv.Itoa(i)},
			{"PFCOUNT", "c"},
			{"PFCOUNT", "c", "nosuch"},
			{"PFMERGE", "d", "c"},
			{"PFDEBUG", "DECODE", "c"},
			{"PFDEBUG", "TODENSE", "c"},
		} {
			got := c.Do(cmd...)
			if strings.HasPrefix(got, "-") &&
				!strings.HasPrefix(got, "-INVALIDOBJ ") && !strings.HasPrefix(got, "-WRONGTYPE ") &&
				!strings.HasPrefix(got, "-ERR HLL encoding is not sparse") {
				t.Fatalf("%v on %q: %q", cmd, body, got)
			}
		}
	}
	if got := c.Do("PING"); got != "+PONG\r\n" {
		t.Fatalf("server unwell: %q", got)
	}
}

func intReply(t *testing.T, s string) int64 {
	t.Helper()
	if !strings.HasPrefix(s, ":") {
		t.Fatalf("not an integer reply: %q", s)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s[1:]), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func BenchmarkPFAdd(b *testing.B) {
	s := servertest.Start(b)
	c := s.Dial(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Do("PFADD", "h", strconv.Itoa(i))
	}
}

func BenchmarkPFCountStale(b *testing.B) {
	s := servertest.Start(b)
	c := s.Dial(b)
	for i := 0; i < 20000; i++ {
		c.Do("PFADD", "h", strconv.Itoa(i))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Do("PFADD", "h", "x"+strconv.Itoa(i)) // usually makes the cache stale
		c.Do("PFCOUNT", "h")
	}
}

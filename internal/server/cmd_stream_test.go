package server_test

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

func entryReply(key string, entries ...[2]string) string {
	// entries: {id, "f v"} with a single field/value pair each
	var b strings.Builder
	b.WriteString("*1\r\n*2\r\n$" + strconv.Itoa(len(key)) + "\r\n" + key + "\r\n")
	b.WriteString("*" + strconv.Itoa(len(entries)) + "\r\n")
	for _, e := range entries {
		fv := strings.Fields(e[1])
		b.WriteString("*2\r\n$" + strconv.Itoa(len(e[0])) + "\r\n" + e[0] + "\r\n*2\r\n")
		for _, x := range fv {
			b.WriteString("$" + strconv.Itoa(len(x)) + "\r\n" + x + "\r\n")
		}
	}
	return b.String()
}

func TestStreamXReadBlockWakes(t *testing.T) {
	s := servertest.Start(t)
	w, p := s.Dial(t), s.Dial(t)
	// A missing key: "$" is 0-0, woken by the XADD that creates it.
	w.Send(resp.AppendCommandStrings(nil, "XREAD", "BLOCK", "0", "STREAMS", "s", "$"))
	waitBlocked(t, s, 1)
	if got := p.Do("XADD", "s", "1-0", "f", "v1"); got != "$3\r\n1-0\r\n" {
		t.Fatalf("XADD: %q", got)
	}
	if got, want := w.ReadRaw(), entryReply("s", [2]string{"1-0", "f v1"}); got != want {
		t.Fatalf("woken XREAD: %q want %q", got, want)
	}
	// An existing key: "$" means after 1-0 even though more is added
	// before the wake-up is served.
	w.Send(resp.AppendCommandStrings(nil, "XREAD", "BLOCK", "0", "STREAMS", "s", "other", "$", "$"))
	waitBlocked(t, s, 1)
	p.Do("XADD", "s", "2-0", "f", "v2")
	if got, want := w.ReadRaw(), entryReply("s", [2]string{"2-0", "f v2"}); got != want {
		t.Fatalf("woken XREAD on existing stream: %q want %q", got, want)
	}
}

func TestStreamXReadBlockTimeout(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("XADD", "s", "1-0", "f", "v")
	start := time.Now()
	if got := c.Do("XREAD", "BLOCK", "50", "STREAMS", "s", "$"); got != "*-1\r\n" {
		t.Fatalf("timeout reply: %q", got)
	}
	if time.Since(start) < 40*time.Millisecond {
		t.Fatal("returned before the timeout")
	}
	for _, tc := range [][2]string{
		{"XREAD BLOCK -1 STREAMS s 0", "-ERR timeout is negative\r\n"},
		{"XREAD BLOCK 1.5 STREAMS s 0", "-ERR timeout is not an integer or out of range\r\n"},
	} {
		if got := c.Do(strings.Fields(tc[0])...); got != tc[1] {
			t.Errorf("%s: %q", tc[0], got)
		}
	}
}

func TestStreamXReadGroupBlockWakes(t *testing.T) {
	s := servertest.Start(t)
	w1, w2, p := s.Dial(t), s.Dial(t), s.Dial(t)
	p.Do("XGROUP", "CREATE", "q", "g", "$", "MKSTREAM")
	w1.Send(resp.AppendCommandStrings(nil, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "q", ">"))
	waitBlocked(t, s, 1)
	w2.Send(resp.AppendCommandStrings(nil, "XREADGROUP", "GROUP", "g", "bob", "BLOCK", "0", "STREAMS", "q", ">"))
	waitBlocked(t, s, 2)
	p.Do("XADD", "q", "1-0", "job", "1")
	if got, want := w1.ReadRaw(), entryReply("q", [2]string{"1-0", "job 1"}); got != want {
		t.Fatalf("first consumer: %q want %q", got, want)
	}
	// bob was woken too, found the entry taken and waits on.
	waitBlocked(t, s, 1)
	p.Do("XADD", "q", "2-0", "job", "2")
	if got, want := w2.ReadRaw(), entryReply("q", [2]string{"2-0", "job 2"}); got != want {
		t.Fatalf("second consumer: %q want %q", got, want)
	}
	if got := p.Do("XPENDING", "q", "g", "-", "+", "10", "bob"); !strings.Contains(got, "2-0") {
		t.Fatalf("bob's pending: %q", got)
	}
	// Destroying the group unblocks its waiters with Redis's error.
	w1.Send(resp.AppendCommandStrings(nil, "XREADGROUP", "GROUP", "g", "alice", "BLOCK", "0", "STREAMS", "q", ">"))
	waitBlocked(t, s, 1)
	p.Do("XGROUP", "DESTROY", "q", "g")
	if got := w1.ReadRaw(); got != "-NOGROUP the consumer group this client was blocked on no longer exists\r\n" {
		t.Fatalf("after DESTROY: %q", got)
	}
}

func TestStreamXReadGroupKeyGone(t *testing.T) {
	s := servertest.Start(t)
	w, p := s.Dial(t), s.Dial(t)
	p.Do("XGROUP", "CREATE", "q", "g", "$", "MKSTREAM")
	w.Send(resp.AppendCommandStrings(nil, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "q", ">"))
	waitBlocked(t, s, 1)
	p.Do("DEL", "q")
	// The recreated key (without the group) wakes the waiter, which
	// learns its stream is gone.
	p.Do("XADD", "q", "1-0", "f", "v")
	if got := w.ReadRaw(); got != "-UNBLOCKED the stream key no longer exists\r\n" && !strings.HasPrefix(got, "-NOGROUP the consumer group") {
		t.Fatalf("after DEL: %q", got)
	}
}

func TestStreamPendingTimesFakeClock(t *testing.T) {
	s := servertest.StartWithClock(t)
	c := s.Dial(t)
	c.Do("XADD", "q", "1-0", "f", "v")
	c.Do("XADD", "q", "2-0", "f", "v")
	c.Do("XGROUP", "CREATE", "q", "g", "0")
	c.Do("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "q", ">")
	s.Clock.Advance(5 * time.Second)
	want := "*2\r\n*4\r\n$3\r\n1-0\r\n$5\r\nalice\r\n:5000\r\n:1\r\n*4\r\n$3\r\n2-0\r\n$5\r\nalice\r\n:5000\r\n:1\r\n"
	if got := c.Do("XPENDING", "q", "g", "-", "+", "10"); got != want {
		t.Fatalf("XPENDING: %q", got)
	}
	if got := c.Do("XPENDING", "q", "g", "IDLE", "6000", "-", "+", "10"); got != "*0\r\n" {
		t.Fatalf("XPENDING IDLE: %q", got)
	}
	if got := c.Do("XCLAIM", "q", "g", "bob", "6000", "1-0", "JUSTID"); got != "*0\r\n" {
		t.Fatalf("XCLAIM too young: %q", got)
	}
	if got := c.Do("XCLAIM", "q", "g", "bob", "4000", "1-0", "JUSTID"); got != "*1\r\n$3\r\n1-0\r\n" {
		t.Fatalf("XCLAIM: %q", got)
	}
	s.Clock.Advance(time.Second)
	want = "*1\r\n*4\r\n$3\r\n1-0\r\n$3\r\nbob\r\n:1000\r\n:1\r\n"
	if got := c.Do("XPENDING", "q", "g", "-", "+", "10", "bob"); got != want {
		t.Fatalf("XPENDING after claim: %q", got)
	}
	// XAUTOCLAIM takes what idled 3 s or more: 2-0 only.
	want = "*3\r\n$3\r\n0-0\r\n*1\r\n$3\r\n2-0\r\n*0\r\n"
	if got := c.Do("XAUTOCLAIM", "q", "g", "carol", "3000", "0", "JUSTID"); got != want {
		t.Fatalf("XAUTOCLAIM: %q", got)
	}
	if got := c.Do("XCLAIM", "q", "g", "bob", "0", "2-0", "IDLE", "700", "JUSTID"); got != "*1\r\n$3\r\n2-0\r\n" {
		t.Fatalf("XCLAIM IDLE: %q", got)
	}
	want = "*1\r\n*4\r\n$3\r\n2-0\r\n$3\r\nbob\r\n:700\r\n:1\r\n"
	if got := c.Do("XPENDING", "q", "g", "2-0", "2-0", "10"); got != want {
		t.Fatalf("XPENDING after IDLE: %q", got)
	}
	s.Clock.Advance(2 * time.Second)
	got := c.Do("XINFO", "CONSUMERS", "q", "g")
	for _, part := range []string{"$5\r\nalice\r\n$7\r\npending\r\n:0\r\n$4\r\nidle\r\n:8000\r\n", "$3\r\nbob\r\n$7\r\npending\r\n:2\r\n$4\r\nidle\r\n:2000\r\n", "$5\r\ncarol\r\n$7\r\npending\r\n:0\r\n$4\r\nidle\r\n:2000\r\n"} {
		if !strings.Contains(got, part) {
			t.Fatalf("XINFO CONSUMERS %q lacks %q", got, part)
		}
	}
}

func TestStreamAutoIDUsesClock(t *testing.T) {
	s := servertest.StartWithClock(t)
	c := s.Dial(t)
	s.Clock.Set(1000)
	if got := c.Do("XADD", "s", "*", "f", "v"); got != "$6\r\n1000-0\r\n" {
		t.Fatalf("first: %q", got)
	}
	if got := c.Do("XADD", "s", "*", "f", "v"); got != "$6\r\n1000-1\r\n" {
		t.Fatalf("same ms: %q", got)
	}
	s.Clock.Set(900) // the clock went back: keep the last time
	if got := c.Do("XADD", "s", "*", "f", "v"); got != "$6\r\n1000-2\r\n" {
		t.Fatalf("clock behind: %q", got)
	}
}

func TestStreamLargeRangeAndMemory(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	var pipe []byte
	for i := 1; i <= 1000; i++ {
		pipe = resp.AppendCommandStrings(pipe, "XADD", "big", strconv.Itoa(i)+"-0", "a", strconv.Itoa(i), "b", "x", "c", "y")
	}
	c.Send(pipe)
	for i := 0; i < 1000; i++ {
		c.ReadRaw()
	}
	if got := c.Do("XLEN", "big"); got != ":1000\r\n" {
		t.Fatalf("XLEN: %q", got)
	}
	if got := c.Do("XREVRANGE", "big", "+", "-", "COUNT", "1"); !strings.Contains(got, "1000-0") {
		t.Fatalf("XREVRANGE: %q", got)
	}
	got := c.Do("MEMORY", "USAGE", "big")
	n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(got, ":")))
	if n <= 0 || n > 40000 {
		t.Fatalf("MEMORY USAGE of 1000 small entries: %q", got)
	}
	if got := c.Do("XTRIM", "big", "MAXLEN", "~", "10"); got != ":900\r\n" {
		t.Fatalf("XTRIM ~: %q", got)
	}
}

// TestStreamRandomArgumentsNeverPanic drives every stream command with
// random arguments drawn from stream-flavoured words, against streams with
// groups and pending entries, and checks no handler panics.
func TestStreamRandomArgumentsNeverPanic(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	cmds := [][]string{
		{"XADD"}, {"XRANGE"}, {"XREVRANGE"}, {"XLEN"}, {"XDEL"}, {"XTRIM"}, {"XREAD"},
		{"XREADGROUP"}, {"XACK"}, {"XPENDING"}, {"XCLAIM"}, {"XAUTOCLAIM"}, {"XSETID"},
		{"XGROUP", "CREATE"}, {"XGROUP", "SETID"}, {"XGROUP", "DESTROY"}, {"XGROUP", "CREATECONSUMER"},
		{"XGROUP", "DELCONSUMER"}, {"XINFO", "STREAM"}, {"XINFO", "GROUPS"}, {"XINFO", "CONSUMERS"},
	}
	setup := [][]string{
		{"DEL", "s", "e"}, {"XADD", "s", "1-0", "a", "1"}, {"XADD", "s", "2-0", "a", "2", "b", "3"},
		{"XADD", "s", "18446744073709551615-0", "z", "9"}, {"XGROUP", "CREATE", "s", "g", "0"},
		{"XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"}, {"XGROUP", "CREATE", "e", "g", "$", "MKSTREAM"},
		{"SET", "str", "x"},
	}
	vocab := []string{"s", "e", "str", "missing", "g", "c", "d", "0", "1", "-1", "1-0", "2-0", "0-0", "(1-0",
		"(0-0", "18446744073709551615-18446744073709551615", "(18446744073709551615-18446744073709551615",
		"18446744073709551615-*", "5-*", "*", "$", ">", "+", "-", "abc", "", "MAXLEN", "MINID", "~", "=",
		"LIMIT", "NOMKSTREAM", "COUNT", "STREAMS", "GROUP", "NOACK", "IDLE", "TIME", "RETRYCOUNT", "FORCE",
		"JUSTID", "LASTID", "MKSTREAM", "ENTRIESREAD", "ENTRIESADDED", "MAXDELETEDID", "FULL",
		"9223372036854775807", "-9223372036854775808", "\x00\r\n"}
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 8000; i++ {
		if i%400 == 0 {
			for _, st := range setup {
				c.Do(st...)
			}
		}
		argv := append([]string(nil), cmds[rnd.IntN(len(cmds))]...)
		for n := rnd.IntN(9); n > 0; n-- {
			argv = append(argv, vocab[rnd.IntN(len(vocab))])
		}
		if got := c.Do(argv...); strings.Contains(got, "internal error") {
			t.Fatalf("%q: %s", argv, got)
		}
	}
}

func TestStreamInfoFullTimes(t *testing.T) {
	s := servertest.StartWithClock(t)
	c := s.Dial(t)
	s.Clock.Set(1_000_000)
	c.Do("XADD", "q", "1-0", "f", "v")
	c.Do("XGROUP", "CREATE", "q", "g", "0")
	c.Do("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "q", ">")
	s.Clock.Set(1_000_250)
	got := c.Do("XINFO", "STREAM", "q", "FULL")
	for _, part := range []string{
		// group pending: id, consumer, delivery time, count
		"$7\r\npending\r\n*1\r\n*4\r\n$3\r\n1-0\r\n$5\r\nalice\r\n:1000000\r\n:1\r\n",
		// consumer: seen-time, then its pending: id, delivery time, count
		"$9\r\nseen-time\r\n:1000000\r\n$9\r\npel-count\r\n:1\r\n$7\r\npending\r\n*1\r\n*3\r\n$3\r\n1-0\r\n:1000000\r\n:1\r\n",
	} {
		if !strings.Contains(got, part) {
			t.Fatalf("XINFO STREAM FULL %q lacks %q", got, part)
		}
	}
	// Reading the history redelivers: the count and time move on.
	c.Do("XREADGROUP", "GROUP", "g", "alice", "STREAMS", "q", "0")
	want := "*1\r\n*4\r\n$3\r\n1-0\r\n$5\r\nalice\r\n:0\r\n:2\r\n"
	if got := c.Do("XPENDING", "q", "g", "-", "+", "1"); got != want {
		t.Fatalf("XPENDING after history read: %q", got)
	}
}

func TestStreamXReadRetryOnWrongType(t *testing.T) {
	s := servertest.Start(t)
	w, p := s.Dial(t), s.Dial(t)
	p.Do("XADD", "a", "1-0", "f", "v")
	w.Send(resp.AppendCommandStrings(nil, "XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$"))
	waitBlocked(t, s, 1)
	// "a" becomes a string, then "b" is created: the woken XREAD reads
	// "b" and ignores "a" instead of failing with WRONGTYPE.
	p.Do("SET", "a", "str")
	p.Do("XADD", "b", "1-0", "f", "v")
	if got, want := w.ReadRaw(), entryReply("b", [2]string{"1-0", "f v"}); got != want {
		t.Fatalf("woken XREAD: %q want %q", got, want)
	}
}

// TestXReadGroupKeyDeletedWhileBlocked: deleting the stream answers a
// blocked XREADGROUP at once, as Redis 7.0 does.
func TestXReadGroupKeyDeletedWhileBlocked(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("XGROUP", "CREATE", "st", "g", "$", "MKSTREAM")
	w := s.Dial(t)
	w.Send(resp.AppendCommandStrings(nil, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "st", ">"))
	waitBlocked(t, s, 1)
	c.Do("DEL", "st")
	if got := w.ReadRaw(); got != "-UNBLOCKED the stream key no longer exists\r\n" {
		t.Fatalf("blocked XREADGROUP after DEL: %q", got)
	}
}

// TestXReadGroupKeyReplacedWhileBlocked: a SET over the stream answers a
// blocked XREADGROUP as a deletion does (redis-server 7.0.15 does so).
func TestXReadGroupKeyReplacedWhileBlocked(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("XGROUP", "CREATE", "st", "g", "$", "MKSTREAM")
	w := s.Dial(t)
	w.Send(resp.AppendCommandStrings(nil, "XREADGROUP", "GROUP", "g", "c1", "BLOCK", "0", "STREAMS", "st", ">"))
	waitBlocked(t, s, 1)
	c.Do("SET", "st", "str")
	if got := w.ReadRaw(); got != "-UNBLOCKED the stream key no longer exists\r\n" {
		t.Fatalf("blocked XREADGROUP after SET: %q", got)
	}
}

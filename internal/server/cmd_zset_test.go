package server_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

func zexpect(t *testing.T, c *servertest.Conn, want string, args ...string) {
	t.Helper()
	if got := c.Do(args...); got != want {
		t.Fatalf("%s: got %q, want %q", strings.Join(args, " "), got, want)
	}
}

func TestZSetEncodingThresholds(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	for i := 0; i < 128; i++ {
		c.Do("ZADD", "z", fmt.Sprint(i), fmt.Sprintf("m%d", i))
	}
	zexpect(t, c, "$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "z")
	c.Do("ZADD", "z", "1000", "m128")
	zexpect(t, c, "$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "z")
	zexpect(t, c, ":129\r\n", "ZCARD", "z")
	zexpect(t, c, ":128\r\n", "ZRANK", "z", "m128")
	// Shrinking never converts back in place.
	zexpect(t, c, ":128\r\n", "ZREMRANGEBYRANK", "z", "0", "127")
	zexpect(t, c, "$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "z")

	long := strings.Repeat("x", 64)
	c.Do("ZADD", "v", "1", long)
	zexpect(t, c, "$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "v")
	c.Do("ZADD", "v", "2", long+"y")
	zexpect(t, c, "$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "v")
	c.Do("ZADD", "w", "2", long+"y")
	zexpect(t, c, "$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "w")

	// A STORE result of a big set gets the small encoding when it fits.
	zexpect(t, c, ":1\r\n", "ZRANGESTORE", "d", "v", "0", "0")
	zexpect(t, c, "$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "d")
	zexpect(t, c, ":1\r\n", "ZUNIONSTORE", "d2", "1", "z")
	zexpect(t, c, "$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "d2")
}

func TestZSetCopyRenameTypeAndEmptied(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	for _, enc := range []string{"128", "0"} {
		c.Do("FLUSHALL")
		c.Do("CONFIG", "SET", "zset-max-listpack-entries", enc)
		c.Do("ZADD", "z", "1", "a", "2", "b")
		zexpect(t, c, "+zset\r\n", "TYPE", "z")
		zexpect(t, c, ":1\r\n", "COPY", "z", "z2")
		c.Do("ZADD", "z2", "3", "c")
		zexpect(t, c, ":2\r\n", "ZCARD", "z")
		zexpect(t, c, ":3\r\n", "ZCARD", "z2")
		c.Do("RENAME", "z2", "z3")
		zexpect(t, c, "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n", "ZRANGE", "z3", "0", "-1")
		zexpect(t, c, ":2\r\n", "ZREM", "z", "a", "b")
		zexpect(t, c, ":0\r\n", "EXISTS", "z")
		zexpect(t, c, "*2\r\n$1\r\na\r\n$1\r\n1\r\n", "ZPOPMIN", "z3")
		zexpect(t, c, ":2\r\n", "ZREMRANGEBYSCORE", "z3", "-inf", "+inf")
		zexpect(t, c, ":0\r\n", "EXISTS", "z3")
		c.Do("ZADD", "p", "1", "a")
		c.Do("ZMPOP", "1", "p", "MAX")
		zexpect(t, c, ":0\r\n", "EXISTS", "p")
	}
	c.Do("CONFIG", "SET", "zset-max-listpack-entries", "128")
}

// TestZSetEncodingsAgree runs the same random work on a listpack and a
// skiplist set and compares every read.
func TestZSetEncodingsAgree(t *testing.T) {
	// 60 members: a tree of one to four leaves; 2,000: three levels.
	for _, members := range []int{60, 2000} {
		t.Run(fmt.Sprint(members), func(t *testing.T) { testZSetEncodingsAgree(t, members) })
	}
}

func testZSetEncodingsAgree(t *testing.T, members int) {
	s := servertest.Start(t)
	c := s.Dial(t)
	r := rand.New(rand.NewPCG(7, uint64(members)))
	member := func() string { return fmt.Sprintf("m%d", r.IntN(members)) }
	c.Do("CONFIG", "SET", "zset-max-listpack-entries", "0")
	c.Do("ZADD", "sl", "0", "seed")
	c.Do("ZADD", "lexsl", "0", "seed")
	c.Do("CONFIG", "SET", "zset-max-listpack-entries", "100000")
	c.Do("ZADD", "lp", "0", "seed")
	c.Do("ZADD", "lexlp", "0", "seed")
	zexpect(t, c, "$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "sl")
	zexpect(t, c, "$8\r\nlistpack\r\n", "OBJECT", "ENCODING", "lp")
	bound := func() string {
		b := fmt.Sprint(r.IntN(40) - 5)
		if r.IntN(3) == 0 {
			b = "(" + b
		}
		return b
	}
	lex := func() string {
		switch r.IntN(6) {
		case 0:
			return "-"
		case 1:
			return "+"
		case 2:
			return "(" + member()
		}
		return "[" + member()
	}
	for step := 0; step < 3000+members; step++ {
		var w []string
		switch r.IntN(6) {
		case 0, 1, 2:
			w = []string{"ZADD", "", fmt.Sprint(r.IntN(30)), member()}
		case 3:
			w = []string{"ZREM", "", member()}
		case 4:
			w = []string{"ZINCRBY", "", fmt.Sprint(r.IntN(5) - 2), member()}
		case 5:
			if r.IntN(10) == 0 {
				w = []string{"ZREMRANGEBYSCORE", "", bound(), bound()}
			}
		}
		if w != nil {
			a, b := append([]string(nil), w...), append([]string(nil), w...)
			a[1], b[1] = "sl", "lp"
			if ra, rb := c.Do(a...), c.Do(b...); ra != rb {
				t.Fatalf("%v: skiplist %q, listpack %q", w, ra, rb)
			}
			if w[0] == "ZADD" || w[0] == "ZREM" {
				// Lex ranges need equal scores: a mirror with score 0.
				if w[0] == "ZADD" {
					a[2], b[2] = "0", "0"
				}
				a[1], b[1] = "lexsl", "lexlp"
				if ra, rb := c.Do(a...), c.Do(b...); ra != rb {
					t.Fatalf("%v: skiplist %q, listpack %q", w, ra, rb)
				}
			}
		}
		reads := [][]string{
			{"ZRANGE", "", "0", "-1", "WITHSCORES"},
			{"ZRANGE", "", fmt.Sprint(r.IntN(20) - 10), fmt.Sprint(r.IntN(20) - 10), "REV"},
			{"ZRANGEBYSCORE", "", bound(), bound(), "LIMIT", fmt.Sprint(r.IntN(3)), fmt.Sprint(r.IntN(5) - 1)},
			{"ZREVRANGEBYSCORE", "", bound(), bound(), "WITHSCORES", "LIMIT", fmt.Sprint(r.IntN(3)), fmt.Sprint(r.IntN(5) - 1)},
			{"ZCOUNT", "", bound(), bound()},
			{"ZLEXCOUNT", "", lex(), lex()},
			{"ZRANGE", "", lex(), lex(), "BYLEX", "REV"},
			{"ZRANK", "", member()},
			{"ZREVRANK", "", member()},
			{"ZCARD", ""},
		}
		rd := reads[r.IntN(len(reads))]
		a, b := append([]string(nil), rd...), append([]string(nil), rd...)
		a[1], b[1] = "sl", "lp"
		if rd[0] == "ZLEXCOUNT" || len(rd) > 4 && rd[4] == "BYLEX" {
			a[1], b[1] = "lexsl", "lexlp"
		}
		if ra, rb := c.Do(a...), c.Do(b...); ra != rb {
			t.Fatalf("step %d %v: skiplist %q, listpack %q", step, rd, ra, rb)
		}
	}
	c.Do("CONFIG", "SET", "zset-max-listpack-entries", "128")
}

// TestZScanBigSet walks a skiplist set with a small COUNT and checks every
// member comes back.
func TestZScanBigSet(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	for i := 0; i < 500; i++ {
		c.Do("ZADD", "z", fmt.Sprint(i), fmt.Sprintf("m%d", i))
	}
	seen := map[string]bool{}
	cursor := "0"
	for calls := 0; ; calls++ {
		if calls > 1000 {
			t.Fatal("ZSCAN does not finish")
		}
		raw := c.Do("ZSCAN", "z", cursor, "COUNT", "7")
		v, err := resp.ReadReply(bufioReader(raw))
		if err != nil || len(v.Elems) != 2 {
			t.Fatalf("ZSCAN reply %q: %v", raw, err)
		}
		cursor = string(v.Elems[0].Str)
		els := v.Elems[1].Elems
		for i := 0; i < len(els); i += 2 {
			seen[string(els[i].Str)] = true
		}
		if cursor == "0" {
			break
		}
	}
	if len(seen) != 500 {
		t.Fatalf("ZSCAN saw %d members, want 500", len(seen))
	}
}

func TestZRandMemberCounts(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	for i := 0; i < 300; i++ {
		c.Do("ZADD", "z", fmt.Sprint(i), fmt.Sprintf("m%d", i))
	}
	for _, n := range []int{5, 150, 299, 300, 400} {
		raw := c.Do("ZRANDMEMBER", "z", fmt.Sprint(n), "WITHSCORES")
		v, err := resp.ReadReply(bufioReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		want := min(n, 300)
		if len(v.Elems) != 2*want {
			t.Fatalf("ZRANDMEMBER %d: %d elements", n, len(v.Elems))
		}
		seen := map[string]bool{}
		for i := 0; i < len(v.Elems); i += 2 {
			m, sc := string(v.Elems[i].Str), string(v.Elems[i+1].Str)
			if seen[m] || "m"+sc != m {
				t.Fatalf("ZRANDMEMBER %d: duplicate or wrong score %s %s", n, m, sc)
			}
			seen[m] = true
		}
	}
	raw := c.Do("ZRANDMEMBER", "z", "-1000")
	v, _ := resp.ReadReply(bufioReader(raw))
	if len(v.Elems) != 1000 {
		t.Fatalf("ZRANDMEMBER -1000: %d elements", len(v.Elems))
	}
}

// Small sorted sets are packed inline in their records, and members read
// from them alias those bytes: results built from them must hold copies
// (a skiplist STORE result, popped members) and survive the source being
// rewritten in place.
func TestZSetPackedMembersAreCopied(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	c.Do("CONFIG", "SET", "zset-max-listpack-entries", "4")
	c.Do("ZADD", "a", "1", "m1", "2", "m2", "3", "m3")
	c.Do("ZADD", "b", "4", "m4", "5", "m5", "6", "m6")
	zexpect(t, c, ":6\r\n", "ZUNIONSTORE", "u", "2", "a", "b")
	zexpect(t, c, "$8\r\nskiplist\r\n", "OBJECT", "ENCODING", "u")
	// Same-length rewrites of the sources' records.
	c.Do("ZADD", "a", "1", "x1", "2", "x2", "3", "x3")
	c.Do("ZREM", "a", "m1", "m2", "m3")
	c.Do("ZADD", "b", "4", "y4")
	c.Do("ZREM", "b", "m4")
	zexpect(t, c, "*6\r\n$2\r\nm1\r\n$2\r\nm2\r\n$2\r\nm3\r\n$2\r\nm4\r\n$2\r\nm5\r\n$2\r\nm6\r\n", "ZRANGE", "u", "0", "-1")

	c.Do("ZADD", "p", "1", "aa", "2", "bb", "3", "cc")
	zexpect(t, c, "*4\r\n$2\r\naa\r\n$1\r\n1\r\n$2\r\nbb\r\n$1\r\n2\r\n", "ZPOPMIN", "p", "2")
	zexpect(t, c, "*2\r\n$1\r\np\r\n*1\r\n*2\r\n$2\r\ncc\r\n$1\r\n3\r\n", "ZMPOP", "1", "p", "MAX")
	zexpect(t, c, ":0\r\n", "EXISTS", "p")
}

// A client blocked on a missing key is woken by a small sorted set, which
// is stored as bytes rather than as an object.
func TestZSetPackedWakesBlocked(t *testing.T) {
	s := servertest.Start(t)
	b := s.Dial(t)
	c := s.Dial(t)
	b.Send(resp.AppendCommandStrings(nil, "BZPOPMIN", "z", "0"))
	pollUntil(t, "the client to block", func() bool {
		return strings.Contains(c.Do("INFO", "clients"), "blocked_clients:1")
	})
	c.Do("ZADD", "z", "1", "m")
	if got := b.ReadRaw(); got != "*3\r\n$1\r\nz\r\n$1\r\nm\r\n$1\r\n1\r\n" {
		t.Fatalf("BZPOPMIN got %q", got)
	}
}

package server_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

// With two event loops, GET and plain SET of an existing key run with
// their shard in shared mode (keyspace/shared.go). These tests hold that
// path to what the exclusive one does, including what must hear of a
// write: WATCH, client tracking, keyspace events, MONITOR and the AOF.

func sharedServer(t *testing.T, args ...string) (*servertest.Server, *servertest.Conn, *servertest.Conn) {
	t.Helper()
	s := servertest.Start(t, append([]string{"--io-threads", "2"}, args...)...)
	if n := s.Server.Keyspace().Lanes(); n != 2 {
		t.Fatalf("%d lanes with two loops", n)
	}
	// Connections are dealt to the loops in turn: a and b are on two.
	return s, s.Dial(t), s.Dial(t)
}

func TestSharedGetSet(t *testing.T) {
	s, a, b := sharedServer(t)
	ks := s.Server.Keyspace()
	a.Do("SET", "k", "abcd")
	a.Do("SET", "n", "1234")
	a.Do("RPUSH", "l", "x")
	before := ks.SharedReads()
	for _, c := range []struct {
		conn *servertest.Conn
		args []string
		want string
	}{
		{b, []string{"GET", "k"}, "$4\r\nabcd\r\n"},
		{b, []string{"SET", "k", "wxyz"}, "+OK\r\n"}, // in place
		{a, []string{"GET", "k"}, "$4\r\nwxyz\r\n"},
		{a, []string{"OBJECT", "ENCODING", "k"}, "$6\r\nembstr\r\n"},
		{b, []string{"SET", "n", "5678"}, "+OK\r\n"},
		{a, []string{"OBJECT", "ENCODING", "n"}, "$3\r\nint\r\n"},
		{b, []string{"SET", "n", "abcd"}, "+OK\r\n"}, // another encoding: exclusive
		{a, []string{"OBJECT", "ENCODING", "n"}, "$6\r\nembstr\r\n"},
		{b, []string{"SET", "k", "longer value"}, "+OK\r\n"}, // another length
		{a, []string{"GET", "k"}, "$12\r\nlonger value\r\n"},
		{b, []string{"GET", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{b, []string{"SET", "l", "y"}, "+OK\r\n"}, // replaces the list
		{a, []string{"TYPE", "l"}, "+string\r\n"},
		{a, []string{"GET", "missing"}, "$-1\r\n"},
	} {
		if got := c.conn.Do(c.args...); got != c.want {
			t.Errorf("%v: %q, want %q", c.args, got, c.want)
		}
	}
	if n := ks.SharedReads() - before; n != 6 { // the five GETs and TYPE
		t.Errorf("%d reads in shared mode, want 6", n)
	}
	// The five GETs and TYPE (a read, as in Redis) hit or missed.
	info := a.Do("INFO", "stats")
	if !strings.Contains(info, "keyspace_hits:5\r\n") || !strings.Contains(info, "keyspace_misses:1\r\n") {
		t.Errorf("INFO stats counts: %q", info)
	}
	// TTLs: a key with one is read in shared mode; SET with an expire
	// time, SETEX and PSETEX rewrite it in place with the new time; a
	// plain SET drops the TTL, so it runs exclusively.
	a.Do("SET", "t", "abcd", "EX", "100")
	if got := b.Do("GET", "t"); got != "$4\r\nabcd\r\n" {
		t.Errorf("GET t: %q", got)
	}
	for _, c := range []struct {
		args []string
		ttl  string
	}{
		{[]string{"SET", "t", "efgh", "EX", "200"}, ":200\r\n"},
		{[]string{"SET", "t", "ijkl", "PX", "300000"}, ":300\r\n"},
		{[]string{"SETEX", "t", "400", "mnop"}, ":400\r\n"},
		{[]string{"PSETEX", "t", "500000", "qrst"}, ":500\r\n"},
		{[]string{"SET", "t", "uvwx", "EX", "0"}, ":500\r\n"}, // refused: exclusive replies
		{[]string{"SETEX", "t", "x", "yyyy"}, ":500\r\n"},
		{[]string{"SET", "t", "zzzz", "KEEPTTL"}, ":500\r\n"},
		{[]string{"SET", "t", "efgh"}, ":-1\r\n"},
	} {
		b.Do(c.args...)
		if got := a.Do("TTL", "t"); got != c.ttl && !(c.ttl != ":-1\r\n" && got == fmt.Sprintf(":%d\r\n", intReply(t, c.ttl)-1)) {
			t.Errorf("TTL after %v: %q, want %q", c.args, got, c.ttl)
		}
	}
	if got := a.Do("GET", "t"); got != "$4\r\nefgh\r\n" {
		t.Errorf("GET t at the end: %q", got)
	}
	if got := b.Do("SET", "t", "a", "EX", "0"); got != "-ERR invalid expire time in 'set' command\r\n" {
		t.Errorf("SET EX 0: %q", got)
	}
	if got := b.Do("SET", "t", "abcd", "XX", "GET"); got != "$4\r\nefgh\r\n" {
		t.Errorf("SET XX GET: %q", got)
	}
}

// Many clients on both loops SET and GET a few keys at once: every read
// sees one whole value that some client wrote.
func TestSharedConcurrentClients(t *testing.T) {
	s, a, _ := sharedServer(t)
	for i := 0; i < 4; i++ {
		a.Do("SET", fmt.Sprint("k", i), strings.Repeat("a", 32))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for w := 0; w < 8; w++ {
		c := s.Dial(t)
		wg.Add(1)
		go func(w int, c *servertest.Conn) {
			defer wg.Done()
			val := strings.Repeat(string(rune('b'+w)), 32)
			for i := 0; i < 300; i++ {
				var buf []byte
				for j := 0; j < 4; j++ {
					k := fmt.Sprint("k", (i+j+w)%4)
					buf = resp.AppendCommandStrings(buf, "SET", k, val)
					buf = resp.AppendCommandStrings(buf, "GET", k)
				}
				c.Send(buf)
				for j := 0; j < 8; j++ {
					r := c.ReadRaw()
					if j%2 == 0 {
						if r != "+OK\r\n" {
							errs <- "SET: " + r
							return
						}
						continue
					}
					v := strings.TrimSuffix(strings.TrimPrefix(r, "$32\r\n"), "\r\n")
					if len(v) != 32 || strings.Count(v, v[:1]) != 32 {
						errs <- "GET: " + r
						return
					}
				}
			}
		}(w, c)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// A SET by a client on the other loop aborts a WATCHing transaction, and
// tracking clients and keyspace event subscribers hear of it.
func TestSharedWriteIsSeen(t *testing.T) {
	t.Run("watch", func(t *testing.T) {
		_, a, b := sharedServer(t)
		a.Do("SET", "k", "v1")
		a.Do("WATCH", "k")
		b.Do("SET", "k", "v2")
		a.Do("MULTI")
		a.Do("GET", "k")
		if got := a.Do("EXEC"); got != "*-1\r\n" {
			t.Fatalf("EXEC after a watched key changed: %q", got)
		}
	})
	// A listener on a sets itself up, b writes k (which exists, so the
	// write could run shared), and a must hear of it.
	for _, c := range []struct {
		name   string
		args   []string
		listen [][]string
		heard  func(string) bool
	}{
		{"tracking", nil, [][]string{{"HELLO", "3"}, {"CLIENT", "TRACKING", "on"}, {"GET", "k"}},
			func(r string) bool { return r == ">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n" }},
		{"events", []string{"--notify-keyspace-events", "KA"}, [][]string{{"SUBSCRIBE", "__keyspace@0__:k"}},
			func(r string) bool { return r == "*3\r\n$7\r\nmessage\r\n$16\r\n__keyspace@0__:k\r\n$3\r\nset\r\n" }},
		{"monitor", nil, [][]string{{"MONITOR"}},
			func(r string) bool { return strings.HasSuffix(r, `"SET" "k" "v2"`+"\r\n") }},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, a, b := sharedServer(t, c.args...)
			b.Do("SET", "k", "v1")
			for _, l := range c.listen {
				a.Do(l...)
			}
			b.Do("SET", "k", "v2")
			if got := a.ReadRaw(); !c.heard(got) {
				t.Fatalf("heard %q", got)
			}
		})
	}
	t.Run("aof", func(t *testing.T) {
		dir := t.TempDir()
		args := []string{"--appendonly", "yes", "--dir", dir, "--appendfsync", "always"}
		s, a, b := sharedServer(t, args...)
		a.Do("SET", "k", "v1")
		b.Do("SET", "k", "v2") // in place, shared
		s.Stop()
		b2 := servertest.Start(t, args...).Dial(t)
		if got := b2.Do("GET", "k"); got != "$2\r\nv2\r\n" {
			t.Fatalf("after restart: %q", got)
		}
		aof, _ := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.1.incr.aof"))
		if !strings.Contains(string(aof), "$2\r\nv2\r\n") {
			t.Fatalf("AOF lacks the shared SET: %q", aof)
		}
	})
}

// INCR and its kin rewrite a counter in place in shared mode while its
// length stays; clients on both loops counting one key lose nothing,
// across the lengths where it must run exclusively (9 -> 10, 99 -> 100).
func TestSharedIncr(t *testing.T) {
	s, a, b := sharedServer(t)
	a.Do("SET", "n", "5")
	a.Do("SET", "s", "abc")
	a.Do("RPUSH", "l", "x")
	a.Do("SET", "big", "9223372036854775806")
	for _, c := range []struct {
		conn *servertest.Conn
		args []string
		want string
	}{
		{b, []string{"INCR", "n"}, ":6\r\n"},
		{a, []string{"DECRBY", "n", "2"}, ":4\r\n"},
		{b, []string{"INCRBY", "n", "6"}, ":10\r\n"}, // longer: exclusive
		{a, []string{"DECR", "n"}, ":9\r\n"},
		{b, []string{"INCR", "s"}, "-ERR value is not an integer or out of range\r\n"},
		{b, []string{"INCR", "l"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{a, []string{"INCR", "big"}, ":9223372036854775807\r\n"},
		{b, []string{"INCR", "big"}, "-ERR increment or decrement would overflow\r\n"},
		{a, []string{"INCRBY", "n", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{a, []string{"DECRBY", "n", "-9223372036854775808"}, "-ERR decrement would overflow\r\n"},
		{b, []string{"INCR", "fresh"}, ":1\r\n"},
		{a, []string{"OBJECT", "ENCODING", "n"}, "$3\r\nint\r\n"},
	} {
		if got := c.conn.Do(c.args...); got != c.want {
			t.Errorf("%v: %q, want %q", c.args, got, c.want)
		}
	}
	a.Do("SET", "ctr", "0", "EX", "1000")
	const clients, rounds = 8, 200
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		c := s.Dial(t)
		wg.Add(1)
		go func(c *servertest.Conn) {
			defer wg.Done()
			var buf []byte
			for i := 0; i < rounds; i++ {
				buf = resp.AppendCommandStrings(buf, "INCR", "ctr")
			}
			c.Send(buf)
			for i := 0; i < rounds; i++ {
				c.ReadRaw()
			}
		}(c)
	}
	wg.Wait()
	if got := a.Do("GET", "ctr"); got != fmt.Sprintf("$4\r\n%d\r\n", clients*rounds) {
		t.Fatalf("counter %q after %d INCRs", got, clients*rounds)
	}
	if ttl := a.Do("TTL", "ctr"); ttl == ":-1\r\n" || ttl == ":-2\r\n" {
		t.Fatalf("INCR lost the TTL: %q", ttl)
	}
}

// Under an LFU policy reads in shared mode count in the key's counter,
// as exclusive ones do.
func TestSharedLFU(t *testing.T) {
	_, a, b := sharedServer(t, "--maxmemory-policy", "allkeys-lfu", "--lfu-log-factor", "0")
	a.Do("SET", "k", "v")
	before := a.Do("OBJECT", "FREQ", "k")
	for i := 0; i < 20; i++ {
		b.Do("GET", "k")
	}
	after := a.Do("OBJECT", "FREQ", "k")
	if before != ":5\r\n" || after != ":25\r\n" {
		t.Fatalf("OBJECT FREQ %q before 20 GETs, %q after; want :5 and :25", before, after)
	}
}

// Random string commands on a few keys give the same replies, byte for
// byte, from a server with one event loop (every command exclusive) and
// one with two (the shared-mode forms wherever they apply).
func TestSharedMatchesExclusive(t *testing.T) {
	s1 := servertest.Start(t, "--io-threads", "1")
	if s1.Server.Keyspace().Lanes() != 0 {
		t.Skip("with this many CPUs one io-thread still means several loops")
	}
	one := s1.Dial(t)
	_, two, _ := sharedServer(t)
	r := rand.New(rand.NewPCG(7, 11))
	vals := []string{"1", "7", "42", "99", "-5", "abcd", "wxyz", "123456789", strings.Repeat("v", 50), strings.Repeat("w", 50), ""}
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	keys := []string{"a", "b", "c", "{a}x"}
	for i := 0; i < 4000; i++ {
		k, v := pick(keys), pick(vals)
		var args []string
		switch r.IntN(20) {
		case 0, 1, 2:
			args = []string{"GET", k}
		case 3, 4:
			args = []string{"SET", k, v}
		case 5:
			args = []string{"SET", k, v, pick([]string{"EX", "PX", "EXAT", "PXAT"}), pick([]string{"1000", "100000", "0", "x", "4102444800", "4102444800000"})}
		case 6:
			args = []string{"SETEX", k, pick([]string{"1000", "0", "-1"}), v}
		case 7:
			args = []string{"PSETEX", k, pick([]string{"1000000", "0"}), v}
		case 8:
			args = []string{"SET", k, v, pick([]string{"NX", "XX", "GET", "KEEPTTL"})}
		case 9, 10:
			args = []string{pick([]string{"INCR", "DECR"}), k}
		case 11:
			args = []string{pick([]string{"INCRBY", "DECRBY"}), k, pick([]string{"1", "-1", "10", "x", "9223372036854775807"})}
		case 12:
			args = []string{"APPEND", k, v}
		case 13:
			args = []string{"DEL", k}
		case 14:
			args = []string{"EXPIRE", k, "1000"}
		case 15:
			args = []string{"PERSIST", k}
		case 16:
			args = []string{"OBJECT", "ENCODING", k}
		case 17:
			args = []string{"STRLEN", k}
		case 18:
			args = []string{"RPUSH", k, v}
		case 19:
			args = []string{pick([]string{"TYPE", "EXISTS", "TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "STRLEN"}), k}
			if args[0] == "EXISTS" && r.IntN(2) == 0 {
				args = append(args, pick(keys))
			}
		}
		got, want := two.Do(args...), one.Do(args...)
		if strings.Contains(args[0], "TTL") || strings.Contains(args[0], "EXPIRETIME") {
			if got != want && len(got) > 2 && len(want) > 2 && got[1] != '-' && want[1] != '-' {
				// The servers read their clocks a moment apart, for the
				// expire times relative ones set and for the TTLs.
				tol := int64(1) // seconds
				if args[0][0] == 'P' {
					tol = 50 // milliseconds
				}
				if d := intReply(t, got) - intReply(t, want); d >= -tol && d <= tol {
					continue
				}
			}
		}
		if got != want {
			t.Fatalf("step %d %q: two loops %q, one loop %q", i, args, got, want)
		}
	}
	// Hits and misses (INFO keyspace_*) are counted alike.
	for _, f := range []string{"keyspace_hits", "keyspace_misses"} {
		g, w := infoField(t, two.Do("INFO", "stats"), f), infoField(t, one.Do("INFO", "stats"), f)
		if g != w {
			t.Errorf("%s %d with two loops, %d with one", f, g, w)
		}
	}
}

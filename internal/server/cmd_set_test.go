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

// sadd adds prefix0..prefix<n-1> to key in batches.
func sadd(t *testing.T, c *servertest.Conn, key, prefix string, from, to int) {
	t.Helper()
	var cmds [][]string
	for i := from; i < to; i += 500 {
		cmd := []string{"SADD", key}
		for j := i; j < min(i+500, to); j++ {
			cmd = append(cmd, fmt.Sprint(prefix, j))
		}
		cmds = append(cmds, cmd)
	}
	pipeline(t, c, cmds)
}

// sscanStep runs one SSCAN call and returns the next cursor and members.
func sscanStep(t *testing.T, c *servertest.Conn, key, cursor string, count int) (string, []string) {
	t.Helper()
	v, err := resp.ReadReply(bufioReader(c.Do("SSCAN", key, cursor, "COUNT", fmt.Sprint(count))))
	if err != nil || len(v.Elems) != 2 {
		t.Fatalf("SSCAN: %v", err)
	}
	var ms []string
	for _, e := range v.Elems[1].Elems {
		ms = append(ms, string(e.Str))
	}
	return string(v.Elems[0].Str), ms
}

// SSCAN over a hashtable returns about COUNT members a call and every
// member present for the whole scan, while members come and go and the
// table grows and shrinks under the cursor.
func TestSetSScanHashtable(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	sadd(t, c, "s", "stay", 0, 300)
	sadd(t, c, "s", "gone", 0, 700)
	got := map[string]bool{}
	cursor := "0"
	calls, maxReply, added, removed := 0, 0, 0, 0
	for {
		var ms []string
		cursor, ms = sscanStep(t, c, "s", cursor, 13)
		maxReply = max(maxReply, len(ms))
		for _, m := range ms {
			got[m] = true
		}
		// Churn between calls: first many members arrive (the table grows
		// from 1024 to 8192 buckets), then all but the "stay" ones go (it
		// shrinks back).
		switch {
		case calls < 40:
			sadd(t, c, "s", "new", added, added+150)
			added += 150
		case removed < 700:
			var cmd []string
			for i := removed; i < removed+100; i++ {
				cmd = append(cmd, fmt.Sprint("gone", i))
			}
			for i := removed * added / 700; i < (removed+100)*added/700; i++ {
				cmd = append(cmd, fmt.Sprint("new", i))
			}
			pipeline(t, c, [][]string{append([]string{"SREM", "s"}, cmd...)})
			removed += 100
		}
		calls++
		if cursor == "0" {
			break
		}
	}
	if removed < 700 {
		t.Fatalf("the scan ended after %d calls, before the churn", calls)
	}
	setExpect(t, c, ":300\r\n", "SCARD", "s")
	for i := 0; i < 300; i++ {
		if !got[fmt.Sprint("stay", i)] {
			t.Fatalf("SSCAN missed stay%d", i)
		}
	}
	// O(COUNT): a call returns about COUNT members (a bucket's chain
	// more, or the buckets a smaller table's bucket maps to mid-resize).
	if maxReply > 64 {
		t.Fatalf("an SSCAN COUNT 13 call returned %d members", maxReply)
	}
	// Without churn, every member exactly once or nearly.
	cursor, n := "0", 0
	seen := map[string]bool{}
	for {
		var ms []string
		cursor, ms = sscanStep(t, c, "s", cursor, 5)
		for _, m := range ms {
			if !strings.HasPrefix(m, "stay") {
				t.Fatalf("SSCAN returned %q", m)
			}
			seen[m] = true
		}
		n++
		if cursor == "0" {
			break
		}
	}
	if len(seen) != 300 || n < 30 {
		t.Fatalf("quiet scan: %d members in %d calls", len(seen), n)
	}
}

// Random replies of a hashtable set are uniform: every member about as
// often, for SRANDMEMBER (one, distinct few, distinct many, repeats) and
// SPOP (one, few, nearly all).
func TestSetRandomDistribution(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	const size = 40
	sadd(t, c, "s", "m", 0, size)
	setExpect(t, c, "$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "s")
	// Each case draws about 8000 members, 200 per member: with a standard
	// deviation of about 14, [110, 290] fails for a sound generator with
	// negligible probability and catches a skew.
	check := func(what string, replies []string, distinct bool, per int) {
		t.Helper()
		tally := map[string]int{}
		for _, r := range replies {
			ms := setStrings(t, r)
			if per > 0 && len(ms) != per {
				t.Fatalf("%s: %d members in %q", what, len(ms), r)
			}
			for i, m := range ms {
				if distinct && i > 0 && ms[i-1] == m {
					t.Fatalf("%s: %q repeated", what, m)
				}
				tally[m]++
			}
		}
		if len(tally) != size {
			t.Fatalf("%s: %d distinct members", what, len(tally))
		}
		for m, n := range tally {
			if n < 110 || n > 290 {
				t.Fatalf("%s: %q drawn %d times, want about 200: %v", what, m, n, tally)
			}
		}
	}
	repeat := func(n int, cmds ...[]string) [][]string {
		var out [][]string
		for i := 0; i < n; i++ {
			out = append(out, cmds...)
		}
		return out
	}
	// Single replies are bulk strings: wrap them as one-element arrays.
	asArrays := func(rs []string) []string {
		for i, r := range rs {
			rs[i] = "*1\r\n" + r
		}
		return rs
	}
	check("SRANDMEMBER", asArrays(pipeline(t, c, repeat(8000, []string{"SRANDMEMBER", "s"}))), false, 1)
	check("SRANDMEMBER 5", pipeline(t, c, repeat(1600, []string{"SRANDMEMBER", "s", "5"})), true, 5)
	check("SRANDMEMBER 20", pipeline(t, c, repeat(400, []string{"SRANDMEMBER", "s", "20"})), true, 20)
	check("SRANDMEMBER -8000", pipeline(t, c, [][]string{{"SRANDMEMBER", "s", "-8000"}}), false, 8000)

	pops := func(n int, pop []string, after ...[]string) []string {
		cmds := [][]string{{"COPY", "s", "p"}, pop}
		cmds = append(cmds, after...)
		cmds = append(cmds, []string{"DEL", "p"})
		rs := pipeline(t, c, repeat(n, cmds...))
		var out []string
		for i := 1; i < len(rs); i += len(cmds) {
			out = append(out, rs[i+len(after)])
		}
		return out
	}
	check("SPOP", asArrays(pops(8000, []string{"SPOP", "p"})), true, 1)
	check("SPOP 5", pops(1600, []string{"SPOP", "p", "5"}), true, 5)
	// 36 of 40: the four survivors are drawn (and the rest replied).
	check("SPOP 36 survivors", pops(2000, []string{"SPOP", "p", "36"}, []string{"SMEMBERS", "p"}), true, 4)
	setExpect(t, c, fmt.Sprintf(":%d\r\n", size), "SCARD", "s")

	// A sparse table: 900 members left of 7000 in 8192 buckets.
	sadd(t, c, "sparse", "m", 0, 7000)
	var gone []string
	for i := 900; i < 7000; i++ {
		gone = append(gone, fmt.Sprint("m", i))
	}
	pipeline(t, c, [][]string{append([]string{"SREM", "sparse"}, gone...)})
	tally := map[string]int{}
	for _, m := range setStrings(t, c.Do("SRANDMEMBER", "sparse", "-180000")) {
		tally[m]++
	}
	for m, n := range tally {
		if n < 110 || n > 290 {
			t.Fatalf("sparse set: %q drawn %d times, want about 200", m, n)
		}
	}
	if len(tally) != 900 {
		t.Fatalf("sparse set: %d distinct members", len(tally))
	}
}

// The survivors of an SPOP with a count go to a new set only when nearly
// all members are popped, as Redis decides: that set is created as Redis
// creates it, so its encoding can change.
func TestSetPopStrategyEncoding(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	setExpect(t, c, "+OK\r\n", "CONFIG", "SET", "set-max-intset-entries", "4")
	ints := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}
	for _, tc := range []struct {
		pop  string
		left string
		enc  string
	}{
		{"8", ":4\r\n", "hashtable"}, // 4*5 > 8: popped one by one
		{"10", ":2\r\n", "intset"},   // 2*5 <= 10: survivors moved to a new set
		{"2", ":10\r\n", "hashtable"},
	} {
		c.Do("DEL", "p")
		c.Do(append([]string{"SADD", "p"}, ints...)...)
		setExpect(t, c, "$9\r\nhashtable\r\n", "OBJECT", "ENCODING", "p")
		if got := setStrings(t, c.Do("SPOP", "p", tc.pop)); fmt.Sprint(len(got)) != tc.pop {
			t.Fatalf("SPOP %s: %v", tc.pop, got)
		}
		setExpect(t, c, tc.left, "SCARD", "p")
		setExpect(t, c, fmt.Sprintf("$%d\r\n%s\r\n", len(tc.enc), tc.enc), "OBJECT", "ENCODING", "p")
	}
}

// Members handed out by a hashtable alias its table: results that outlive
// a change of the table must be copies. Long members (kept off the arena)
// and ordinary ones.
func TestSetResultsOutliveChanges(t *testing.T) {
	s := servertest.Start(t)
	c := s.Dial(t)
	long := strings.Repeat("L", 3000)
	var all []string
	for i := 0; i < 200; i++ {
		m := fmt.Sprint("member-", i)
		if i%10 == 0 {
			m = fmt.Sprint(long, i)
		}
		all = append(all, m)
	}
	load := func(key string) {
		c.Do("DEL", key)
		c.Do(append([]string{"SADD", key}, all...)...)
	}
	want := sortedOf(append([]string(nil), all...)...)
	union := func(sets ...[]string) []string {
		var out []string
		for _, s := range sets {
			out = append(out, s...)
		}
		return sortedOf(out...)
	}
	eqs := func(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }
	for _, n := range []string{"1", "30", "190"} {
		load("p")
		popped := setStrings(t, c.Do("SPOP", "p", n))
		if got := union(popped, setStrings(t, c.Do("SMEMBERS", "p"))); !eqs(got, want) {
			t.Fatalf("SPOP %s: popped + left is not the set", n)
		}
	}
	load("p")
	for i := 0; i < 200; i++ {
		r := c.Do("SPOP", "p")
		if !strings.HasPrefix(r, "$") || strings.HasPrefix(r, "$-1") {
			t.Fatalf("SPOP %d: %q", i, r)
		}
	}
	setExpect(t, c, ":0\r\n", "EXISTS", "p")

	// STORE into one of the sources.
	load("a")
	c.Do("SADD", "b", all[0], all[1], all[2], "other")
	setExpect(t, c, ":3\r\n", "SINTERSTORE", "a", "a", "b")
	if got := setStrings(t, c.Do("SMEMBERS", "a")); !eqs(got, sortedOf(all[0], all[1], all[2])) {
		t.Fatalf("SINTERSTORE a a b: %v", got)
	}
	load("a")
	setExpect(t, c, ":201\r\n", "SUNIONSTORE", "a", "a", "b")
	setExpect(t, c, ":197\r\n", "SDIFFSTORE", "a", "a", "b")
	setExpect(t, c, ":0\r\n", "SISMEMBER", "a", all[0])
	setExpect(t, c, ":1\r\n", "SISMEMBER", "a", all[3])
	setExpect(t, c, ":0\r\n", "SINTERCARD", "2", "a", "b")
	setExpect(t, c, ":3\r\n", "SINTERCARD", "2", "b", "b", "LIMIT", "3")

	// SMOVE of a long member between hashtables, and back.
	load("a")
	c.Do("DEL", "b")
	c.Do("SADD", "b", "x")
	setExpect(t, c, ":1\r\n", "SMOVE", "a", "b", all[10])
	setExpect(t, c, ":1\r\n", "SMOVE", "b", "a", all[10])
	if got := setStrings(t, c.Do("SMEMBERS", "a")); !eqs(got, want) {
		t.Fatal("SMOVE there and back changed the set")
	}

	// COPY is deep; SCAN's members and SRANDMEMBER's stay whole.
	setExpect(t, c, ":1\r\n", "COPY", "a", "c")
	c.Do("SREM", "a", all[10], all[11])
	if got := setStrings(t, c.Do("SMEMBERS", "c")); !eqs(got, want) {
		t.Fatal("COPY shares its members")
	}
	for _, m := range setStrings(t, c.Do("SRANDMEMBER", "c", "-50")) {
		if !strings.HasPrefix(m, "member-") && !strings.HasPrefix(m, long) {
			t.Fatalf("SRANDMEMBER returned %.20q", m)
		}
	}
}

// A big hashtable set (long and binary members included) survives DEBUG
// RELOAD, DUMP/RESTORE, and an AOF rewrite in both forms with a restart.
func TestSetHashtablePersistence(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--dir", dir, "--enable-debug-command", "yes"}
	s := servertest.Start(t, args...)
	c := s.Dial(t)
	sadd(t, c, "big", "m", 0, 5000)
	c.Do("SADD", "big", strings.Repeat("x", 5000), "bin\x00\r\n", "")
	c.Do("SADD", "ints", "1", "2", "3")
	want := setStrings(t, c.Do("SMEMBERS", "big"))
	check := func(what string, c *servertest.Conn, key string) {
		t.Helper()
		if got := setStrings(t, c.Do("SMEMBERS", key)); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%s: %d members, want %d", what, len(got), len(want))
		}
		setExpect(t, c, "$9\r\nhashtable\r\n", "OBJECT", "ENCODING", key)
	}
	setExpect(t, c, "+OK\r\n", "DEBUG", "RELOAD")
	check("DEBUG RELOAD", c, "big")
	setExpect(t, c, "$6\r\nintset\r\n", "OBJECT", "ENCODING", "ints")

	v, err := resp.ReadReply(bufioReader(c.Do("DUMP", "big")))
	if err != nil || v.Type != '$' {
		t.Fatalf("DUMP: %v", err)
	}
	setExpect(t, c, "+OK\r\n", "RESTORE", "copy", "0", string(v.Str))
	check("RESTORE", c, "copy")

	for _, preamble := range []string{"yes", "no"} {
		setExpect(t, c, "+OK\r\n", "CONFIG", "SET", "aof-use-rdb-preamble", preamble)
		if preamble == "yes" {
			setExpect(t, c, "+OK\r\n", "CONFIG", "SET", "appendonly", "yes")
			waitRewrites(t, c, 1)
		} else {
			c.Do("BGREWRITEAOF")
			waitRewrites(t, c, 2)
		}
	}
	c.Do("SPOP", "copy", "10") // replayed from the AOF as an SREM
	left := setStrings(t, c.Do("SMEMBERS", "copy"))
	s.Stop()
	c2 := servertest.Start(t, append(args, "--appendonly", "yes")...).Dial(t)
	check("AOF restart", c2, "big")
	if got := setStrings(t, c2.Do("SMEMBERS", "copy")); strings.Join(got, ",") != strings.Join(left, ",") {
		t.Fatalf("AOF restart: copy has %d members, want %d", len(got), len(left))
	}
}

package server_test

import (
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/servertest"
)

// hostPort splits a test server's address for MIGRATE's arguments.
func hostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

var expRE = regexp.MustCompile(`exp=(-?\d+)`)

// sameContents compares two servers' keys, allowing the absolute expire
// times to differ by the time MIGRATE took (the TTL travels relative).
func sameContents(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	delete(got, "functions")
	delete(want, "functions")
	norm := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range m {
			out[k] = expRE.ReplaceAllString(v, "exp=?")
		}
		return out
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			continue // reported by diffContents
		}
		ge, _ := strconv.ParseInt(expRE.FindStringSubmatch(g)[1], 10, 64)
		we, _ := strconv.ParseInt(expRE.FindStringSubmatch(w)[1], 10, 64)
		if (ge > 0) != (we > 0) || ge-we > 5000 || we-ge > 5000 {
			t.Errorf("%s: key %s expires at %d, want %d", what, k, ge, we)
		}
	}
	diffContents(t, what, norm(got), norm(want))
}

// migrateAll copies every key of every database of src to the target
// with the KEYS form, keeping the sources (COPY).
func migrateAll(t *testing.T, src *servertest.Conn, target string) {
	t.Helper()
	host, port := hostPort(t, target)
	for db := 0; db < 16; db++ {
		src.Do("SELECT", strconv.Itoa(db))
		keys := strs(parseReply(t, src.Do("KEYS", "*")))
		if len(keys) == 0 {
			continue
		}
		args := append([]string{"MIGRATE", host, port, "", strconv.Itoa(db), "5000", "COPY", "KEYS"}, keys...)
		if r := src.Do(args...); r != "+OK\r\n" {
			t.Fatalf("MIGRATE db %d: %q", db, r)
		}
	}
	src.Do("SELECT", "0")
}

// TestMigrateEveryType: every type and encoding of the reference RDB,
// with its TTL, reaches a Taconite target and a real Redis target intact.
func TestMigrateEveryType(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, redisRDB, filepath.Join(dir, "dump.rdb"))
	src := servertest.Start(t, "--dir", dir).Dial(t)
	t.Run("taconite", func(t *testing.T) {
		dst := servertest.Start(t)
		migrateAll(t, src, dst.Addr)
		sameContents(t, "taconite target", contents(t, dst.Dial(t), true), contents(t, src, true))
	})
	t.Run("redis", func(t *testing.T) {
		dst := startRedis(t, t.TempDir())
		migrateAll(t, src, dst.Addr)
		sameContents(t, "redis target", contents(t, dst.Dial(t), false), contents(t, src, false))
	})
}

// TestMigrateMove: without COPY the source key goes once the target
// took it, with "del" fired here and "restore" there; the TTL travels.
func TestMigrateMove(t *testing.T) {
	src, dst := servertest.Start(t), servertest.Start(t)
	c, d := src.Dial(t), dst.Dial(t)
	host, port := hostPort(t, dst.Addr)
	c.Do("CONFIG", "SET", "notify-keyspace-events", "KEA")
	d.Do("CONFIG", "SET", "notify-keyspace-events", "KEA")
	c.Do("SET", "k", "v", "PX", "100000")
	subSrc, subDst := notifySubscriber(t, src), notifySubscriber(t, dst)
	if r := c.Do("MIGRATE", host, port, "k", "0", "1000"); r != "+OK\r\n" {
		t.Fatalf("MIGRATE: %q", r)
	}
	notifyExpect(t, subSrc, [2]string{"del", "k"})
	notifyExpect(t, subDst, [2]string{"restore", "k"})
	if r := c.Do("EXISTS", "k"); r != ":0\r\n" {
		t.Fatalf("source still has k: %q", r)
	}
	if r := d.Do("GET", "k"); r != "$1\r\nv\r\n" {
		t.Fatalf("target GET: %q", r)
	}
	pttl := parseReply(t, d.Do("PTTL", "k")).(int64)
	if pttl <= 90000 || pttl > 100000 {
		t.Fatalf("target PTTL %d", pttl)
	}
	// A key without TTL stays without one.
	c.Do("SET", "p", "1")
	c.Do("MIGRATE", host, port, "p", "0", "1000")
	if r := d.Do("PTTL", "p"); r != ":-1\r\n" {
		t.Fatalf("PTTL p: %q", r)
	}
	// A value far larger than one 64 KiB write, inside MULTI.
	big := strings.Repeat("0123456789abcdef", 1<<16)
	c.Do("SET", "big", big)
	c.Do("MULTI")
	c.Do("MIGRATE", host, port, "big", "0", "5000")
	if r := c.Do("EXEC"); r != "*1\r\n+OK\r\n" {
		t.Fatalf("EXEC MIGRATE big: %q", r)
	}
	if r := d.Do("GET", "big"); r != "$"+strconv.Itoa(len(big))+"\r\n"+big+"\r\n" {
		t.Fatalf("target big: %.100q", r)
	}
	// Nothing left: NOKEY, and no connection is needed for it.
	if r := c.Do("MIGRATE", host, port, "k", "0", "1000"); r != "+NOKEY\r\n" {
		t.Fatalf("MIGRATE missing: %q", r)
	}
	if r := c.Do("MIGRATE", "127.0.0.1", "1", "", "0", "1000", "KEYS", "x", "y"); r != "+NOKEY\r\n" {
		t.Fatalf("MIGRATE KEYS missing: %q", r)
	}
}

// TestMigrateCopyReplace: COPY keeps the source; an existing target key
// is refused with the target's BUSYKEY, forwarded, unless REPLACE.
func TestMigrateCopyReplace(t *testing.T) {
	src, dst := servertest.Start(t), servertest.Start(t)
	c, d := src.Dial(t), dst.Dial(t)
	host, port := hostPort(t, dst.Addr)
	c.Do("RPUSH", "l", "a", "b")
	d.Do("SET", "l", "old")
	want := "-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n"
	if r := c.Do("MIGRATE", host, port, "l", "0", "1000"); r != want {
		t.Fatalf("MIGRATE busy: %q", r)
	}
	if r := c.Do("EXISTS", "l"); r != ":1\r\n" {
		t.Fatalf("source lost l after an error: %q", r)
	}
	if r := c.Do("MIGRATE", host, port, "l", "0", "1000", "COPY", "REPLACE"); r != "+OK\r\n" {
		t.Fatalf("MIGRATE COPY REPLACE: %q", r)
	}
	if r := c.Do("LLEN", "l"); r != ":2\r\n" {
		t.Fatalf("COPY removed the source: %q", r)
	}
	if r := d.Do("LRANGE", "l", "0", "-1"); r != "*2\r\n$1\r\na\r\n$1\r\nb\r\n" {
		t.Fatalf("target l: %q", r)
	}
}

// TestMigrateKeysPartial: with KEYS, the keys the target took are moved
// even when another failed; the first error is reported. Missing keys
// are skipped, and the destination database is selected.
func TestMigrateKeysPartial(t *testing.T) {
	src, dst := servertest.Start(t), servertest.Start(t)
	c, d := src.Dial(t), dst.Dial(t)
	host, port := hostPort(t, dst.Addr)
	c.Do("MSET", "a", "1", "b", "2", "c", "3")
	d.Do("SELECT", "5")
	d.Do("SET", "b", "there")
	r := c.Do("MIGRATE", host, port, "", "5", "1000", "KEYS", "a", "missing", "b", "c")
	if r != "-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n" {
		t.Fatalf("MIGRATE: %q", r)
	}
	if r := c.Do("MGET", "a", "b", "c"); r != "*3\r\n$-1\r\n$1\r\n2\r\n$-1\r\n" {
		t.Fatalf("source after: %q", r)
	}
	if r := d.Do("MGET", "a", "b", "c"); r != "*3\r\n$1\r\n1\r\n$5\r\nthere\r\n$1\r\n3\r\n" {
		t.Fatalf("target db 5 after: %q", r)
	}
	d.Do("SELECT", "0")
	if r := d.Do("DBSIZE"); r != ":0\r\n" {
		t.Fatalf("target db 0: %q", r)
	}
	// A database the target lacks: its SELECT error fails every key.
	c.Do("SET", "z", "1")
	if r := c.Do("MIGRATE", host, port, "z", "99", "1000"); r != "-ERR Target instance replied with error: ERR DB index is out of range\r\n" {
		t.Fatalf("MIGRATE db 99: %q", r)
	}
	if r := c.Do("EXISTS", "z"); r != ":1\r\n" {
		t.Fatalf("z lost: %q", r)
	}
}

// TestMigrateAuth: AUTH and AUTH2 reach a target that requires a
// password; its refusals are forwarded and nothing is deleted.
func TestMigrateAuth(t *testing.T) {
	src, dst := servertest.Start(t), servertest.Start(t, "--requirepass", "secret")
	c := src.Dial(t)
	host, port := hostPort(t, dst.Addr)
	c.Do("SET", "k", "v")
	cases := []struct {
		args []string
		want string
	}{
		{nil, "-ERR Target instance replied with error: NOAUTH Authentication required.\r\n"},
		{[]string{"AUTH", "wrong"}, "-ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{[]string{"AUTH2", "default", "wrong"}, "-ERR Target instance replied with error: WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{[]string{"COPY", "AUTH", "secret"}, "+OK\r\n"},
		{[]string{"REPLACE", "AUTH2", "default", "secret"}, "+OK\r\n"},
	}
	for _, tc := range cases {
		args := append([]string{"MIGRATE", host, port, "k", "0", "1000"}, tc.args...)
		if r := c.Do(args...); r != tc.want {
			t.Fatalf("%v: %q, want %q", tc.args, r, tc.want)
		}
	}
	if r := c.Do("EXISTS", "k"); r != ":0\r\n" {
		t.Fatalf("k not moved: %q", r)
	}
	d := dst.Dial(t)
	d.Do("AUTH", "secret")
	if r := d.Do("GET", "k"); r != "$1\r\nv\r\n" {
		t.Fatalf("target k: %q", r)
	}
}

// TestMigrateUnreachable: a closed port fails at once; a target that
// never answers fails after the timeout; the key stays.
func TestMigrateUnreachable(t *testing.T) {
	c := servertest.Start(t).Dial(t)
	c.Do("SET", "k", "v")

	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, closed := hostPort(t, l.Addr().String())
	l.Close()
	if r := c.Do("MIGRATE", "127.0.0.1", closed, "k", "0", "100"); r != "-IOERR error or timeout writing to target instance\r\n" {
		t.Fatalf("closed port: %q", r)
	}

	// A listener that never accepts: the kernel completes the connection,
	// the request is buffered, no reply ever comes.
	mute, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	host, port := hostPort(t, mute.Addr().String())
	start := time.Now()
	if r := c.Do("MIGRATE", host, port, "k", "0", "50"); r != "-IOERR error or timeout reading to target instance\r\n" {
		t.Fatalf("mute target: %q", r)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("timeout of 50 ms took %v", d)
	}
	for _, hp := range [][2]string{{"", "6379"}, {"127.0.0.1", "-1"}, {"127.0.0.1:5", "6379"}} {
		if r := c.Do("MIGRATE", hp[0], hp[1], "k", "0", "100"); r != "-IOERR error or timeout connecting to the client\r\n" {
			t.Fatalf("MIGRATE %q %q: %q", hp[0], hp[1], r)
		}
	}
	if r := c.Do("EXISTS", "k"); r != ":1\r\n" {
		t.Fatalf("k lost: %q", r)
	}
}

// TestMigrateSyntax: option errors come before the integer arguments,
// and those before looking for the keys.
func TestMigrateSyntax(t *testing.T) {
	c := servertest.Start(t).Dial(t)
	c.Do("SET", "a", "1")
	keysErr := "-ERR When using MIGRATE KEYS option, the key argument must be set to the empty string\r\n"
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"a", "0", "1000", "KEYS", "b"}, keysErr},
		{[]string{"a", "0", "1000", "COPY", "COPY", "REPLACE", "KEYS"}, keysErr},
		{[]string{"", "0", "1000", "foo", "KEYS", "a"}, "-ERR syntax error\r\n"},
		{[]string{"", "0", "1000", "AUTH"}, "-ERR syntax error\r\n"},
		{[]string{"", "0", "1000", "AUTH2", "u"}, "-ERR syntax error\r\n"},
		{[]string{"a", "x", "1000"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"nokey", "0", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"", "0", "1000", "KEYS"}, "+NOKEY\r\n"},
		{[]string{"", "0", "1000"}, "+NOKEY\r\n"},
	}
	for _, tc := range cases {
		args := append([]string{"MIGRATE", "127.0.0.1", "1"}, tc.args...)
		if r := c.Do(args...); r != tc.want {
			t.Errorf("%v: %q, want %q", tc.args, r, tc.want)
		}
	}
}

// TestMigrateAOF: a MIGRATE that moved keys is logged as the DEL of
// those keys, never as itself (replaying it would contact the target).
func TestMigrateAOF(t *testing.T) {
	dir := t.TempDir()
	src := servertest.Start(t, "--dir", dir, "--appendonly", "yes")
	dst := servertest.Start(t)
	c := src.Dial(t)
	host, port := hostPort(t, dst.Addr)
	c.Do("MSET", "a", "1", "b", "2")
	if r := c.Do("MIGRATE", host, port, "", "0", "1000", "COPY", "KEYS", "a"); r != "+OK\r\n" {
		t.Fatalf("MIGRATE COPY: %q", r)
	}
	if r := c.Do("MIGRATE", host, port, "", "0", "1000", "REPLACE", "KEYS", "a", "b", "nosuch"); r != "+OK\r\n" {
		t.Fatalf("MIGRATE: %q", r)
	}
	var log strings.Builder
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && strings.HasSuffix(p, ".incr.aof") {
			b, _ := os.ReadFile(p)
			log.Write(b)
		}
		return nil
	})
	got := log.String()
	if strings.Contains(strings.ToUpper(got), "MIGRATE") {
		t.Fatalf("MIGRATE logged: %q", got)
	}
	// (The DEL may also name listed keys that were missing: harmless.)
	if !strings.Contains(got, "$3\r\nDEL\r\n$1\r\na\r\n$1\r\nb\r\n") {
		t.Fatalf("no DEL of the moved keys in %q", got)
	}
}

package server_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/taconite/taconite/internal/servertest"
)

// seenTime matches a stream consumer's seen-time: a base in command form
// recreates consumers (XGROUP CREATECONSUMER, XCLAIM) at load time, in
// Redis as in Taconite, so it is the one field that cannot survive.
var seenTime = regexp.MustCompile(`seen-time \d+`)

// cmdContents is contents without the encodings (a base in command form
// rebuilds each value with the loading server's own choice) and the
// consumers' seen-time.
func cmdContents(t *testing.T, c *servertest.Conn) map[string]string {
	t.Helper()
	m := contents(t, c, false)
	for k, v := range m {
		m[k] = seenTime.ReplaceAllString(v, "seen-time _")
	}
	return m
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		copyFile(t, filepath.Join(from, e.Name()), filepath.Join(to, e.Name()))
	}
}

// rewriteCommandForm loads the reference file holding every type, turns
// the AOF on and rewrites it once more, both with aof-use-rdb-preamble
// no, adds a key after the rewrite, and stops. It returns the directory
// and the contents before the stop.
func rewriteCommandForm(t *testing.T) (string, map[string]string) {
	dir := t.TempDir()
	copyFile(t, redisRDB, filepath.Join(dir, "dump.rdb"))
	s := servertest.Start(t, "--dir", dir, "--save", "", "--aof-use-rdb-preamble", "no")
	c := s.Dial(t)
	if r := c.Do("CONFIG", "SET", "appendonly", "yes"); r != "+OK\r\n" {
		t.Fatalf("CONFIG SET: %q", r)
	}
	waitRewrites(t, c, 1)
	if got, want := manifest(t, dir), "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"; got != want {
		t.Fatalf("manifest %q, want %q", got, want)
	}
	c.Do("SELECT", "5")
	c.Do("RPUSH", "between", "a", "b")
	if r := c.Do("BGREWRITEAOF"); r != "+Background append only file rewriting started\r\n" {
		t.Fatalf("BGREWRITEAOF: %q", r)
	}
	waitRewrites(t, c, 2)
	c.Do("SET", "after", "1")
	if got, want := manifest(t, dir), "file appendonly.aof.2.base.aof seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n"; got != want {
		t.Fatalf("manifest %q, want %q", got, want)
	}
	base, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.2.base.aof"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(base), "*") {
		t.Fatalf("base is not in command form: %.40q", base)
	}
	want := cmdContents(t, c)
	s.Stop()
	return dir, want
}

// TestAOFRewriteCommandFormRestart: with aof-use-rdb-preamble no the
// base is written as commands (.base.aof) and a restart loads the same
// data set, every type included.
func TestAOFRewriteCommandFormRestart(t *testing.T) {
	dir, want := rewriteCommandForm(t)
	c := servertest.Start(t, "--dir", dir, "--save", "", "--appendonly", "yes").Dial(t)
	diffContents(t, "restart on a command-form base", cmdContents(t, c), want)
}

// TestAOFRewriteCommandBytes: the records of simple keys are the bytes
// Redis 7.0 writes for them (recorded with redis-server 7.0.15).
func TestAOFRewriteCommandBytes(t *testing.T) {
	dir := t.TempDir()
	c := servertest.Start(t, "--dir", dir, "--save", "", "--aof-use-rdb-preamble", "no").Dial(t)
	c.Do("SET", "s", "hello")
	c.Do("PEXPIREAT", "s", "4102444800000")
	c.Do("ZADD", "z", "1.1", "a", "2", "b", "inf", "c", "-inf", "d", "1e100", "e", "0.000001", "f")
	c.Do("HSET", "h", "f1", "v1", "f2", "v2")
	c.Do("RPUSH", "l", "a", "b", "c")
	c.Do("BGREWRITEAOF")
	waitRewrites(t, c, 1)
	b, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.1.base.aof"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\ns\r\n$5\r\nhello\r\n*3\r\n$9\r\nPEXPIREAT\r\n$1\r\ns\r\n$13\r\n4102444800000\r\n",
		"*14\r\n$4\r\nZADD\r\n$1\r\nz\r\n$4\r\n-inf\r\n$1\r\nd\r\n$22\r\n9.9999999999999995e-07\r\n$1\r\nf\r\n$18\r\n1.1000000000000001\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$6\r\n1e+100\r\n$1\r\ne\r\n$3\r\ninf\r\n$1\r\nc\r\n",
		"*6\r\n$5\r\nHMSET\r\n$1\r\nh\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n",
		"*5\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n",
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("base lacks %q:\n%q", want, b)
		}
	}
}

// TestAOFLoadsRedisCommandBase: an AOF directory written by redis-server
// 7.0 with aof-use-rdb-preamble no (a base in command form, then an
// incremental file) loads, as redis-server loads it.
func TestAOFLoadsRedisCommandBase(t *testing.T) {
	src := filepath.Join("..", "..", "testdata", "aof", "redis7-cmd-base")
	dir := t.TempDir()
	copyDir(t, src, filepath.Join(dir, "appendonlydir"))
	c := servertest.Start(t, "--appendonly", "yes", "--dir", dir, "--save", "").Dial(t)
	for q, want := range map[string]string{
		"GET str": "$5\r\nhello\r\n", "LLEN biglist": ":70\r\n", "HLEN bighash": ":70\r\n", "SCARD bigset": ":70\r\n",
		"ZSCORE z a": "$18\r\n1.1000000000000001\r\n", "XLEN x": ":2\r\n", "XLEN emp": ":0\r\n", "PEXPIRETIME ttl": ":4102444800000\r\n",
		"GET after": "$1\r\n1\r\n", "GET counter": "$1\r\n2\r\n", "FCALL f1 0": ":1\r\n",
	} {
		if r := c.Do(strings.Fields(q)...); r != want {
			t.Errorf("%s: %q, want %q", q, r, want)
		}
	}
	got := cmdContents(t, c)
	rdir := t.TempDir()
	copyDir(t, src, filepath.Join(rdir, "appendonlydir"))
	want := cmdContents(t, startRedis(t, rdir, "--appendonly", "yes").Dial(t))
	diffContents(t, "taconite loading redis's command-form AOF", got, want)
}

// TestAOFRedisLoadsTaconiteCommandBase: Taconite's command-form base
// (and incremental file) loads into redis-server 7.0 with the same
// contents.
func TestAOFRedisLoadsTaconiteCommandBase(t *testing.T) {
	dir, want := rewriteCommandForm(t)
	rdir := t.TempDir()
	copyDir(t, filepath.Join(dir, "appendonlydir"), filepath.Join(rdir, "appendonlydir"))
	got := cmdContents(t, startRedis(t, rdir, "--appendonly", "yes").Dial(t))
	diffContents(t, "redis loading taconite's command-form AOF", got, want)
}

// TestAOFRewriteCommandFormWritesDuring: writes that overlap the saver
// (slowed by rdb-key-save-delay) reach the base as their old values,
// preserved in command form, and the incremental file as commands: a
// restart has the final data set.
func TestAOFRewriteCommandFormWritesDuring(t *testing.T) {
	dir := t.TempDir()
	args := []string{"--dir", dir, "--save", "", "--appendonly", "yes", "--aof-use-rdb-preamble", "no"}
	s := servertest.Start(t, append(args, "--rdb-key-save-delay", "100")...)
	c := s.Dial(t)
	for i := 0; i < 2000; i++ {
		c.Do("RPUSH", "l"+strconv.Itoa(i), "a", strconv.Itoa(i))
	}
	c.Do("BGREWRITEAOF")
	for i := 0; i < 2000; i += 3 {
		c.Do("RPUSH", "l"+strconv.Itoa(i), "late")
		c.Do("DEL", "l"+strconv.Itoa(i+1))
	}
	waitRewrites(t, c, 1)
	want := cmdContents(t, c)
	s.Stop()
	c2 := servertest.Start(t, args...).Dial(t)
	diffContents(t, "restart after writes during the rewrite", cmdContents(t, c2), want)
}

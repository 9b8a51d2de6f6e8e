package server_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/resp"
	"github.com/taconite/taconite/internal/servertest"
)

// TestPersistDumpRestoreRoundTrip: every type survives DUMP then RESTORE
// into another key, in the same encoding.
func TestPersistDumpRestoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, redisRDB, filepath.Join(dir, "dump.rdb"))
	c := servertest.Start(t, "--dir", dir).Dial(t)
	before := contents(t, c, true)
	c.Do("SELECT", "0")
	keys := strs(parseReply(t, c.Do("KEYS", "*")))
	if len(keys) < 20 {
		t.Fatalf("only %d keys", len(keys))
	}
	for _, k := range keys {
		p, ok := parseReply(t, c.Do("DUMP", k)).(string)
		if !ok {
			t.Fatalf("DUMP %q: not a bulk", k)
		}
		pttl := parseReply(t, c.Do("PEXPIRETIME", k)).(int64)
		c.Do("DEL", k)
		args := []string{"RESTORE", k, "0", p}
		if pttl > 0 {
			args = []string{"RESTORE", k, strconv.FormatInt(pttl, 10), p, "ABSTTL"}
		}
		if r := c.Do(args...); r != "+OK\r\n" {
			t.Fatalf("RESTORE %q: %q", k, r)
		}
	}
	diffContents(t, "after DUMP/RESTORE", contents(t, c, true), before)
}

// TestPersistBGSave: BGSAVE writes the file in the background while
// clients are served; LASTSAVE and INFO follow.
func TestPersistBGSave(t *testing.T) {
	dir := t.TempDir()
	s := servertest.Start(t, "--dir", dir)
	c := s.Dial(t)
	for i := 0; i < 1000; i++ {
		c.Do("SET", "k"+strconv.Itoa(i), strings.Repeat("v", i%50))
	}
	c.Do("HSET", "h", "f", "v")
	before := parseReply(t, c.Do("LASTSAVE")).(int64)
	if r := c.Do("BGSAVE"); r != "+Background saving started\r\n" {
		t.Fatalf("BGSAVE: %q", r)
	}
	if r := c.Do("BGSAVE", "bogus"); !strings.HasPrefix(r, "-ERR syntax error") {
		t.Fatalf("BGSAVE bogus: %q", r)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "dump.rdb")); err == nil && s.Server.RDBSaves() > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("BGSAVE did not finish")
		}
		c.Do("PING") // poll through the server, which keeps serving
	}
	if after := parseReply(t, c.Do("LASTSAVE")).(int64); after < before {
		t.Fatalf("LASTSAVE went back: %d < %d", after, before)
	}
	want := contents(t, c, false)
	s.Stop()
	c2 := servertest.Start(t, "--dir", dir).Dial(t)
	diffContents(t, "after BGSAVE", contents(t, c2, false), want)
}

// TestPersistDebugReload: DEBUG RELOAD saves and loads back.
func TestPersistDebugReload(t *testing.T) {
	dir := t.TempDir()
	c := servertest.Start(t, "--dir", dir, "--enable-debug-command", "yes").Dial(t)
	c.Do("RPUSH", "l", "a", "b", "1")
	c.Do("ZADD", "z", "1", "x", "2.5", "y")
	c.Do("SADD", "s", "1", "2", "3")
	c.Do("SET", "e", "v", "PX", "100000")
	want := contents(t, c, true)
	c.Do("SELECT", "0")
	if r := c.Do("DEBUG", "RELOAD"); r != "+OK\r\n" {
		t.Fatalf("DEBUG RELOAD: %q", r)
	}
	diffContents(t, "after DEBUG RELOAD", contents(t, c, true), want)
}

// TestPersistShutdownModes: SHUTDOWN SAVE saves without save points,
// SHUTDOWN NOSAVE does not save with them.
func TestPersistShutdownModes(t *testing.T) {
	dir := t.TempDir()
	s := servertest.Start(t, "--dir", dir)
	c := s.Dial(t)
	c.Do("SET", "k", "saved")
	c.Send([]byte("SHUTDOWN SAVE\r\n"))
	waitClosed(t, c)
	s.Stop() // waits until Run returned
	s2 := servertest.Start(t, "--dir", dir, "--save", "1 1")
	c2 := s2.Dial(t)
	if r := c2.Do("GET", "k"); r != "$5\r\nsaved\r\n" {
		t.Fatalf("after SHUTDOWN SAVE: %q", r)
	}
	c2.Do("SET", "k", "not-saved")
	c2.Send([]byte("SHUTDOWN NOSAVE\r\n"))
	waitClosed(t, c2)
	s2.Stop() // waits until Run returned, final save or not
	c3 := servertest.Start(t, "--dir", dir).Dial(t)
	if r := c3.Do("GET", "k"); r != "$5\r\nsaved\r\n" {
		t.Fatalf("after SHUTDOWN NOSAVE: %q", r)
	}
}

// waitClosed waits until the server closed c (after SHUTDOWN).
func waitClosed(t *testing.T, c *servertest.Conn) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	buf := make([]byte, 64)
	for {
		c.Raw().SetReadDeadline(time.Now().Add(time.Second))
		if _, err := c.Raw().Read(buf); err != nil && !os.IsTimeout(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("connection not closed")
		}
	}
}

// waitSaves polls until the server has completed n snapshots.
func waitSaves(t *testing.T, s *servertest.Server, c *servertest.Conn, n int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for s.Server.RDBSaves() < n || strings.Contains(c.Do("INFO", "persistence"), "rdb_bgsave_in_progress:1") {
		if time.Now().After(deadline) {
			t.Fatal("BGSAVE did not finish")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestPersistBGSaveIsPointInTime: every write acknowledged after BGSAVE's
// reply stays out of the file, though the save runs while they happen.
func TestPersistBGSaveIsPointInTime(t *testing.T) {
	dir := t.TempDir()
	s := servertest.Start(t, "--dir", dir, "--save", "")
	c := s.Dial(t)
	const n = 20000
	var batch []byte
	for i := 0; i < n; i++ {
		batch = resp.AppendCommandStrings(batch, "SET", "k"+strconv.Itoa(i), "old")
	}
	c.Send(batch)
	for i := 0; i < n; i++ {
		c.ReadRaw()
	}
	if r := c.Do("BGSAVE"); r != "+Background saving started\r\n" {
		t.Fatalf("BGSAVE: %q", r)
	}
	batch = batch[:0]
	for i := 0; i < n; i++ {
		batch = resp.AppendCommandStrings(batch, "SET", "k"+strconv.Itoa(i), "new")
	}
	batch = resp.AppendCommandStrings(batch, "SET", "added", "x")
	c.Send(batch)
	for i := 0; i <= n; i++ {
		c.ReadRaw()
	}
	waitSaves(t, s, c, 1)
	s.Stop()
	c2 := servertest.Start(t, "--dir", dir).Dial(t)
	if r := c2.Do("DBSIZE"); r != ":"+strconv.Itoa(n)+"\r\n" {
		t.Fatalf("DBSIZE after reload: %q", r)
	}
	for i := 0; i < n; i += 97 {
		if r := c2.Do("GET", "k"+strconv.Itoa(i)); r != "$3\r\nold\r\n" {
			t.Fatalf("k%d = %q, want the value at BGSAVE's instant", i, r)
		}
	}
}

// TestPersistMisconf: after a failed background save, with save points
// set, writes and PING get MISCONF while reads go on; a good save lifts it.
func TestPersistMisconf(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gone")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := servertest.Start(t, "--dir", dir, "--save", "3600 1")
	c := s.Dial(t)
	c.Do("SET", "k", "v")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	c.Do("BGSAVE")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(c.Do("INFO", "persistence"), "rdb_last_bgsave_status:err") {
		if time.Now().After(deadline) {
			t.Fatal("BGSAVE into a removed directory did not fail")
		}
		time.Sleep(time.Millisecond)
	}
	for _, cmd := range [][]string{{"SET", "k", "w"}, {"PING"}, {"DEL", "k"}} {
		if r := c.Do(cmd...); !strings.HasPrefix(r, "-MISCONF Redis is configured to save RDB snapshots") {
			t.Fatalf("%v: %q", cmd, r)
		}
	}
	if r := c.Do("GET", "k"); r != "$1\r\nv\r\n" {
		t.Fatalf("GET: %q", r)
	}
	c.Do("MULTI")
	if r := c.Do("SET", "k", "w"); !strings.HasPrefix(r, "-MISCONF") {
		t.Fatalf("queued SET: %q", r)
	}
	if r := c.Do("EXEC"); !strings.HasPrefix(r, "-EXECABORT") {
		t.Fatalf("EXEC: %q", r)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	saves := s.Server.RDBSaves()
	c.Do("BGSAVE")
	waitSaves(t, s, c, saves+1)
	if r := c.Do("SET", "k", "w"); r != "+OK\r\n" {
		t.Fatalf("SET after a good save: %q", r)
	}
}

// TestPersistLoadingReply: while the RDB file loads, clients are served:
// PING gets -LOADING, INFO (flagged loading) shows the progress; then the
// data is all there.
func TestPersistLoadingReply(t *testing.T) {
	dir := t.TempDir()
	s := servertest.Start(t, "--dir", dir, "--enable-debug-command", "yes")
	c := s.Dial(t)
	const n = 400000
	if r := c.Do("DEBUG", "POPULATE", strconv.Itoa(n), "key", "100"); r != "+OK\r\n" {
		t.Fatalf("DEBUG POPULATE: %q", r)
	}
	c.Do("SAVE")
	s.Stop()

	c2 := servertest.StartLoading(t, "--dir", dir).Dial(t)
	sawLoading := waitLoaded(t, c2, func() {
		info := c2.Do("INFO", "persistence")
		if !strings.Contains(info, "loading:1\r\n") && !strings.Contains(info, "loading:0\r\n") {
			t.Fatalf("INFO while loading: %q", info)
		}
		if strings.Contains(info, "loading:1\r\n") && !strings.Contains(info, "loading_total_bytes:") {
			t.Fatalf("no progress fields: %q", info)
		}
	})
	t.Logf("saw -LOADING: %v", sawLoading)
	if r := c2.Do("DBSIZE"); r != ":"+strconv.Itoa(n)+"\r\n" {
		t.Fatalf("DBSIZE: %q", r)
	}
	if info := c2.Do("INFO", "persistence"); !strings.Contains(info, "loading:0\r\n") || strings.Contains(info, "loading_total_bytes") {
		t.Fatalf("INFO after loading: %q", info)
	}
}

// waitLoaded sends PING until the server answers PONG, accepting only
// -LOADING before, and reports whether it saw -LOADING; onFirst runs at
// the first one.
func waitLoaded(t *testing.T, c *servertest.Conn, onFirst func()) bool {
	t.Helper()
	saw := false
	for {
		r := c.Do("PING")
		if r == "+PONG\r\n" {
			return saw
		}
		if r != "-LOADING Redis is loading the dataset in memory\r\n" {
			t.Fatalf("PING while loading: %q", r)
		}
		if !saw && onFirst != nil {
			onFirst()
		}
		saw = true
	}
}

// TestPersistBGSaveOverlappingWrites: with the saver slowed down
// (rdb-key-save-delay), writes of every kind land while it walks; the
// file still holds exactly the data set of BGSAVE's instant.
func TestPersistBGSaveOverlappingWrites(t *testing.T) {
	dir := t.TempDir()
	s := servertest.Start(t, "--dir", dir, "--save", "")
	c := s.Dial(t)
	const n = 3000
	var batch []byte
	cmds := 0
	add := func(args ...string) { batch = resp.AppendCommandStrings(batch, args...); cmds++ }
	for i := 0; i < n; i++ {
		k := strconv.Itoa(i)
		add("SET", "s"+k, "old"+k)
		if i%10 == 0 {
			add("HSET", "h"+k, "f", "old", "g", k)
			add("RPUSH", "l"+k, "a", "b", "c")
			add("SET", "ttl"+k, "v", "EX", "100000")
		}
	}
	c.Send(batch)
	for ; cmds > 0; cmds-- {
		c.ReadRaw()
	}
	want := contents(t, c, false)
	c.Do("CONFIG", "SET", "rdb-key-save-delay", "300") // 300 us per key: ~1.3 s
	if r := c.Do("BGSAVE"); r != "+Background saving started\r\n" {
		t.Fatalf("BGSAVE: %q", r)
	}
	// Writes after the instant, over the whole key range and of every kind:
	// overwrites, deletes, new keys, in-place changes, renames, a
	// transaction, a script, another database.
	for i := 0; i < n; i += 7 {
		k := strconv.Itoa(i)
		c.Do("SET", "s"+k, "new")
		c.Do("SET", "fresh"+k, "x")
		if i%10 == 0 {
			c.Do("HSET", "h"+k, "f", "new", "z", "1")
			c.Do("LPOP", "l"+k)
			c.Do("PERSIST", "ttl"+k)
		}
	}
	c.Do("DEL", "s1", "s2", "h10", "l20")
	c.Do("APPEND", "s3", "tail")
	c.Do("RENAME", "s4", "renamed")
	c.Do("MULTI")
	c.Do("SET", "s6", "multi")
	c.Do("DEL", "s8")
	c.Do("EXEC")
	c.Do("EVAL", "redis.call('SET', 's9', 'lua') redis.call('DEL', 's11') return 1", "0")
	c.Do("SELECT", "3")
	c.Do("SET", "db3", "x")
	c.Do("SELECT", "0")
	c.Do("FLUSHDB")
	waitSaves(t, s, c, 1)
	c.Do("CONFIG", "SET", "rdb-key-save-delay", "0")
	s.Stop()
	c2 := servertest.Start(t, "--dir", dir).Dial(t)
	diffContents(t, "file written during writes", contents(t, c2, false), want)
}

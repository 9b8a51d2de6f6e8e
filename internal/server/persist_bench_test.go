package server_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/taconite/taconite/internal/servertest"
)

// benchRDB reads RDB_BENCH_FILE (a big dump.rdb, e.g. the 1M mixed keys of
// tools/rdbrecord/bench.sh).
func benchRDB(b *testing.B) []byte {
	src := os.Getenv("RDB_BENCH_FILE")
	if src == "" {
		b.Skip("set RDB_BENCH_FILE")
	}
	raw, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

// BenchmarkPersistLoadSave loads RDB_BENCH_FILE at startup and SAVEs it.
func BenchmarkPersistLoadSave(b *testing.B) {
	raw := benchRDB(b)
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		os.WriteFile(filepath.Join(dir, "dump.rdb"), raw, 0o644)
		s := servertest.Start(b, "--dir", dir)
		c := s.Dial(b)
		if r := c.Do("SAVE"); r != "+OK\r\n" {
			b.Fatal(r)
		}
		s.Stop()
	}
}

// BenchmarkPersistLoad only loads RDB_BENCH_FILE at startup (the server
// answers DBSIZE once loading is done).
func BenchmarkPersistLoad(b *testing.B) {
	raw := benchRDB(b)
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		os.WriteFile(filepath.Join(dir, "dump.rdb"), raw, 0o644)
		s := servertest.Start(b, "--dir", dir)
		c := s.Dial(b)
		if r := c.Do("DBSIZE"); r[0] != ':' {
			b.Fatal(r)
		}
		s.Stop()
	}
}

// mixedKeysLua builds ARGV[1] keys of every kind in redis-server, like
// tools/rdbrecord/bench.sh, plus some bigger values (quicklists of
// integers, hashtable hashes and sets, compressible strings) and expire
// times.
const mixedKeysLua = `
for i=1,tonumber(ARGV[1]) do
  local k = 'key:' .. i
  local m = i % 7
  if m == 0 then redis.call('set', k, 'value-' .. i .. '-' .. string.rep('x', i % 90))
  elseif m == 1 then redis.call('hset', k, 'a', i, 'b', 'text' .. i, 'c', 'more', 'n', -i)
  elseif m == 2 then redis.call('rpush', k, 'a', i, 'c', 'ddddd', -i * 1000003)
  elseif m == 3 then redis.call('sadd', k, i, i+1, i+2, -i)
  elseif m == 4 then redis.call('zadd', k, 1, 'one', 2.5, 'two', i, 'three', -i, i)
  elseif m == 5 then
    for j=1,(i % 300) do redis.call('rpush', k, j * i, 'e' .. j) end
    redis.call('rpush', k, 'end')
  else
    if i % 3 == 0 then
      for j=1,600 do redis.call('sadd', k, j * 7) end
    else
      for j=1,(i % 200) + 1 do redis.call('hset', k, 'f' .. j, string.rep('v', j)) end
    end
    redis.call('pexpire', k, 100000000 + i)
  end
end return 1`

// TestPersistLoadsMixedKeys: thousands of keys of every kind saved by
// redis-server (many loading batches, whose buffers are reused) load into
// Taconite with the contents redis-server loads.
func TestPersistLoadsMixedKeys(t *testing.T) {
	rdir := t.TempDir()
	r := startRedis(t, rdir).Dial(t)
	if got := r.Do("EVAL", mixedKeysLua, "0", "4000"); got != ":1\r\n" {
		t.Fatalf("EVAL: %q", got)
	}
	if got := r.Do("SAVE"); got != "+OK\r\n" {
		t.Fatalf("SAVE: %q", got)
	}
	want := contents(t, r, true)
	dir := t.TempDir()
	copyFile(t, filepath.Join(rdir, "dump.rdb"), filepath.Join(dir, "dump.rdb"))
	got := contents(t, servertest.Start(t, "--dir", dir).Dial(t), true)
	diffContents(t, "mixed keys", got, want)
}

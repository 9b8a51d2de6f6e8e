package server

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/taconite/taconite/internal/config"
	"github.com/taconite/taconite/internal/keyspace"
	"github.com/taconite/taconite/internal/logging"
	"github.com/taconite/taconite/internal/rdb"
)

func TestPersistInfoAndMisconf(t *testing.T) {
	cfg := config.New()
	if err := cfg.LoadArgs([]string{"--save", "60 1", "--dir", t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	s := NewWithOptions(cfg, Options{Logger: logging.Discard()})
	got := map[string]any{}
	s.persistInfo(func(name string, v any) { got[name] = v })
	for name, want := range map[string]any{"rdb_bgsave_in_progress": 0, "rdb_last_bgsave_status": "ok", "rdb_saves": int64(0), "rdb_last_bgsave_time_sec": int64(-1), "rdb_current_bgsave_time_sec": int64(-1)} {
		if got[name] != want {
			t.Errorf("%s = %v (%T), want %v", name, got[name], got[name], want)
		}
	}
	if msg := s.rdbWriteRefusal(); msg != "" {
		t.Fatalf("refusal with a good last save: %q", msg)
	}
	s.persist.lastBgOK.Store(false)
	if msg := s.rdbWriteRefusal(); msg == "" {
		t.Fatal("no MISCONF after a failed background save")
	}
	cfg.Set("stop-writes-on-bgsave-error", "no")
	if msg := s.rdbWriteRefusal(); msg != "" {
		t.Fatalf("refusal with stop-writes-on-bgsave-error no: %q", msg)
	}
}

// TestPersistBGSavePointInTime: writes made after BGSAVE's instant, through
// the gate's hook, do not reach the file: it holds the keyspace as it was.
func TestPersistBGSavePointInTime(t *testing.T) {
	dir := t.TempDir()
	cfg := config.New()
	if err := cfg.LoadArgs([]string{"--save", "", "--dir", dir}); err != nil {
		t.Fatal(err)
	}
	s := NewWithOptions(cfg, Options{Logger: logging.Discard()})
	all := s.ks.AllShards()
	var tx keyspace.Tx
	s.ks.Lock(all)
	s.ks.Begin(&tx, 0, all, time.Now())
	for i := 0; i < 200; i++ {
		tx.SetString([]byte("k"+strconv.Itoa(i)), []byte("old"), 0)
	}
	// BGSAVE's instant (every shard held), without its goroutine so the
	// test decides the interleaving.
	s.persist.snap.Store(s.newBGSnapshot())
	s.ks.Unlock(all)
	// Writes after the instant: each through the gate's hook.
	for i := 0; i < 200; i += 2 {
		key := []byte("k" + strconv.Itoa(i))
		mask := uint64(1) << uint(s.ks.ShardOf(key))
		s.ks.Lock(mask)
		s.snapshotBeforeWrite(mask)
		var w keyspace.Tx
		s.ks.Begin(&w, 0, mask, time.Now())
		w.SetString(key, []byte("new"), 0)
		s.ks.Unlock(mask)
	}
	if err := s.saveRDB(nil, false); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	d := rdb.NewDecoder(f)
	if err := d.Header(); err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		it, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		if it.Kind == rdb.ItemEOF {
			break
		}
		if it.Kind != rdb.ItemKey {
			continue
		}
		if string(it.Value.Str) != "old" {
			t.Fatalf("key %q = %q: written after the snapshot's instant", it.Key, it.Value.Str)
		}
		n++
	}
	if n != 200 {
		t.Fatalf("%d keys in the snapshot, want 200", n)
	}
}

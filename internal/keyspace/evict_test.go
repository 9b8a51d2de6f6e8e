package keyspace

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// fill stores n keys "prefix<i>" with value v, with ttl (ms from now) on
// every key if ttl > 0.
func fill(ks *Keyspace, prefix string, n int, v []byte, ttl int64) {
	tx := lockAllTx(ks)
	for i := 0; i < n; i++ {
		at := int64(0)
		if ttl > 0 {
			at = tx.Now + ttl
		}
		tx.SetString([]byte(prefix+strconv.Itoa(i)), v, at)
	}
	ks.Unlock(ks.AllShards())
}

// exactData sums the tables' DataBytes, the figure Keyspace.data tracks.
func exactData(ks *Keyspace) int64 {
	var n int64
	for i := range ks.shards {
		for _, tb := range ks.shards[i].tables {
			n += int64(tb.DataBytes())
		}
	}
	return n
}

func TestDataBytesTracksWrites(t *testing.T) {
	ks := New(Options{})
	ks.SetAccounting(true)
	empty := ks.DataBytes()
	v := make([]byte, 100)
	fill(ks, "k", 10_000, v, 0)
	fill(ks, "t", 1000, v, 1_000_000)
	slack := int64(len(ks.shards) * accountBatch)
	if d := ks.DataBytes() - exactData(ks); d > slack || d < -slack {
		t.Fatalf("DataBytes %d, tables hold %d", ks.DataBytes(), exactData(ks))
	}
	if got := ks.DataBytes() - empty; got < 11_000*120 || got > 11_000*170 {
		t.Fatalf("%d bytes for 11,000 keys of 100 bytes", got)
	}
	tx := lockAllTx(ks)
	for i := 0; i < 10_000; i++ {
		tx.Delete([]byte("k" + strconv.Itoa(i)))
	}
	tx.FlushDB(0)
	ks.Unlock(ks.AllShards())
	for i := range ks.shards {
		ks.flushAccount(&ks.shards[i])
	}
	if got, want := ks.DataBytes(), exactData(ks); got != want {
		t.Fatalf("after deleting everything: DataBytes %d, tables %d", got, want)
	}
}

func TestEvictPoolOrder(t *testing.T) {
	p := NewEvictPool()
	for i := 0; i < 40; i++ {
		p.insert(uint64(i*7%40), 0, 0, []byte("k"+strconv.Itoa(i)))
	}
	if p.Len() != evictPoolSize {
		t.Fatalf("pool holds %d", p.Len())
	}
	for j := 0; j < p.n; j++ {
		if want := uint64(40 - evictPoolSize + j); p.ents[j].score != want {
			t.Fatalf("entry %d score %d, want %d (the best kept, in order)", j, p.ents[j].score, want)
		}
	}
	// Sampled again with a new score: moved, not duplicated.
	top := string(p.ents[p.n-1].key)
	p.insert(30, 0, 0, []byte(top))
	seen := map[string]bool{}
	for j := 0; j < p.n; j++ {
		if seen[string(p.ents[j].key)] {
			t.Fatalf("%q twice in the pool", p.ents[j].key)
		}
		seen[string(p.ents[j].key)] = true
	}
	if p.ents[p.n-1].score != 38 {
		t.Fatalf("top score %d after re-scoring the best", p.ents[p.n-1].score)
	}
}

func TestEvictOneChoosesByPolicy(t *testing.T) {
	clk := NewFakeClock(1_000_000_000)
	v := make([]byte, 10)
	t.Run("noeviction", func(t *testing.T) {
		ks := New(Options{Clock: clk})
		fill(ks, "k", 10, v, 0)
		if _, ok := ks.EvictOne(NewEvictPool(), NoEviction, 5, nil); ok {
			t.Fatal("noeviction evicted")
		}
	})
	t.Run("volatile without TTLs", func(t *testing.T) {
		ks := New(Options{Clock: clk})
		fill(ks, "k", 100, v, 0)
		for _, p := range []EvictPolicy{VolatileLRU, VolatileLFU, VolatileRandom, VolatileTTL} {
			if _, ok := ks.EvictOne(NewEvictPool(), p, 5, nil); ok {
				t.Fatalf("%s evicted a key without a TTL", p)
			}
		}
	})
	// One shard: a round samples every key, so the choice is exact (with
	// shards a round samples one shard, as random a sample but not all).
	t.Run("volatile-ttl", func(t *testing.T) {
		ks := New(Options{Clock: clk, Shards: 1})
		tx := lockAllTx(ks)
		for i := 0; i < 200; i++ {
			tx.SetString([]byte("k"+strconv.Itoa(i)), v, clk.NowMs()+int64(1000+i)*1000)
		}
		ks.Unlock(ks.AllShards())
		var got []string
		h := &EvictHooks{After: func(db int, key []byte) { got = append(got, string(key)) }}
		// With every key sampled, the nearest expiry goes first.
		p := NewEvictPool()
		for i := 0; i < 5; i++ {
			freed, ok := ks.EvictOne(p, VolatileTTL, 1000, h)
			if !ok || freed <= 0 {
				t.Fatalf("evict %d: ok %v freed %d", i, ok, freed)
			}
		}
		if want := []string{"k0", "k1", "k2", "k3", "k4"}; strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("evicted %q, want %q", got, want)
		}
		if n := ks.Totals().EvictedKeys; n != 5 {
			t.Fatalf("EvictedKeys %d", n)
		}
	})
	t.Run("allkeys-lru", func(t *testing.T) {
		ks := New(Options{Clock: clk, Shards: 1})
		fill(ks, "old", 50, v, 0)
		clk.Advance(time.Hour)
		fill(ks, "new", 50, v, 0)
		var got []string
		h := &EvictHooks{After: func(db int, key []byte) { got = append(got, string(key)) }}
		p := NewEvictPool()
		for i := 0; i < 50; i++ {
			ks.EvictOne(p, AllKeysLRU, 1000, h)
		}
		for _, k := range got {
			if !strings.HasPrefix(k, "old") {
				t.Fatalf("evicted %s while older keys remained: %q", k, got)
			}
		}
	})
	t.Run("allkeys-lfu", func(t *testing.T) {
		ks := New(Options{Clock: clk, Shards: 1})
		ks.SetLFU(true, 10, 1)
		fill(ks, "cold", 50, v, 0)
		fill(ks, "hot", 50, v, 0)
		tx := lockAllTx(ks)
		for i := 0; i < 50; i++ {
			tx.Get([]byte("hot" + strconv.Itoa(i)))
		}
		ks.Unlock(ks.AllShards())
		var got []string
		h := &EvictHooks{After: func(db int, key []byte) { got = append(got, string(key)) }}
		p := NewEvictPool()
		for i := 0; i < 50; i++ {
			ks.EvictOne(p, AllKeysLFU, 1000, h)
		}
		for _, k := range got {
			if !strings.HasPrefix(k, "cold") {
				t.Fatalf("evicted %s while less used keys remained: %q", k, got)
			}
		}
	})
}

// TestLFUOverwriteKeepsCounter: as Redis, overwriting a key under LFU
// keeps its counter, after counting the write's lookup once.
func TestLFUOverwriteKeepsCounter(t *testing.T) {
	clk := NewFakeClock(1_000_000_000)
	ks := New(Options{Clock: clk})
	ks.SetLFU(true, 10, 1)
	freq := func(tx *Tx, k string) int {
		e, _ := tx.Peek([]byte(k))
		return ks.LFUCounter(e.Access(), tx.Now)
	}
	tx := lockAllTx(ks)
	tx.SetString([]byte("k"), []byte("a"), 0)
	if got := freq(tx, "k"); got != lfuInit {
		t.Fatalf("new key counter %d", got)
	}
	tx.SetString([]byte("k"), []byte("b"), 0)
	if got := freq(tx, "k"); got != lfuInit+1 {
		t.Fatalf("after an overwrite: counter %d, want %d", got, lfuInit+1)
	}
	// A lookup then a write of the same key (SET XX) counts once.
	ks.Unlock(ks.AllShards())
	tx = lockAllTx(ks)
	tx.SetString([]byte("j"), []byte("a"), 0)
	ks.Unlock(ks.AllShards())
	tx = lockAllTx(ks)
	key := []byte("j")
	tx.GetW(key)
	tx.SetString(key, []byte("b"), 0)
	if got := freq(tx, "j"); got != lfuInit+1 {
		t.Fatalf("lookup + overwrite: counter %d, want %d", got, lfuInit+1)
	}
	ks.Unlock(ks.AllShards())
}

// BenchmarkEvictOne is the cost of choosing and evicting one key of a
// 100k-key keyspace under each sampling policy, a write replacing it each
// time as under a write flood.
func BenchmarkEvictOne(b *testing.B) {
	for _, p := range []EvictPolicy{AllKeysLRU, AllKeysLFU, AllKeysRandom, VolatileTTL} {
		b.Run(p.String(), func(b *testing.B) {
			ks := New(Options{})
			ks.SetAccounting(true)
			ks.SetLFU(p.LFU(), 10, 1)
			v := make([]byte, 100)
			fill(ks, "k", 100_000, v, 1_000_000)
			pool := NewEvictPool()
			var tx Tx
			now := time.Now()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, ok := ks.EvictOne(pool, p, 5, nil); !ok {
					b.Fatal("nothing evicted")
				}
				key := []byte("n" + strconv.Itoa(i))
				mask := uint64(1) << uint(ks.ShardOf(key))
				ks.Lock(mask)
				ks.Begin(&tx, 0, mask, now)
				tx.SetString(key, v, tx.Now+1_000_000)
				ks.Unlock(mask)
			}
		})
	}
}

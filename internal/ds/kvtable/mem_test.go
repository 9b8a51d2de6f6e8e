package kvtable

import (
	"runtime"
	"strconv"
	"testing"
)

// heapPerKey loads n keys "key:N" with 16-byte values (and an expire time
// if volatile) and returns the live heap bytes per key after a GC.
func heapPerKey(n int, volatile bool, fill func(tb *Table, key, val []byte)) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tb := New()
	val := []byte("0123456789abcdef")
	key := []byte("key:")
	for i := 0; i < n; i++ {
		fill(tb, strconv.AppendInt(key[:4], int64(i), 10), val)
	}
	for tb.Rehash(1 << 20) {
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(tb)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

// TestMemoryPerKey measures the table's own live heap for the benchmark
// shape the server is judged on: 1M keys "key:N" with 16-byte values.
func TestMemoryPerKey(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation sizes")
	}
	const n = 1_000_000
	plain := heapPerKey(n, false, func(tb *Table, k, v []byte) { tb.SetBytes(k, 0, 0, v, NoExpire) })
	vol := heapPerKey(n, true, func(tb *Table, k, v []byte) { tb.SetBytes(k, 0, 0, v, 1_700_000_000_000) })
	t.Logf("heap per key: %.1f B (with expire time: %.1f B)", plain, vol)
	if plain > 70 {
		t.Errorf("%.1f B per key, want <= 70", plain)
	}
	if vol > 90 {
		t.Errorf("%.1f B per volatile key, want <= 90", vol)
	}
}

// TestMemoryReturns checks that deleting most keys gives the arena back.
func TestMemoryReturns(t *testing.T) {
	tb := New()
	val := make([]byte, 100)
	const n = 200_000
	for i := 0; i < n; i++ {
		tb.SetBytes(strconv.AppendInt([]byte("key:"), int64(i), 10), 0, 0, val, NoExpire)
	}
	full := tb.MemoryUsage()
	// Delete 19 of every 20 keys: every page keeps a few live records, so
	// only compaction can free them.
	for i := 0; i < n; i++ {
		if i%20 != 0 {
			tb.Delete(strconv.AppendInt([]byte("key:"), int64(i), 10))
		}
	}
	for tb.Rehash(1000) {
	}
	if err := tb.Check(); err != nil {
		t.Fatal(err)
	}
	left := tb.MemoryUsage()
	t.Logf("memory usage %d -> %d bytes", full, left)
	if left*8 > full {
		t.Errorf("memory usage %d after deleting 95%% of %d", left, full)
	}
	for i := 0; i < n; i += 20 {
		e, ok := tb.Get(strconv.AppendInt([]byte("key:"), int64(i), 10))
		if !ok || len(e.Bytes()) != 100 {
			t.Fatalf("key:%d lost", i)
		}
	}
}

// TestChurnBounded checks that compaction keeps up: after many rounds of
// deleting and re-adding keys, the arena stays within a small factor of
// the live data.
func TestChurnBounded(t *testing.T) {
	tb := New()
	const n = 50_000
	val := make([]byte, 60)
	key := func(i int) []byte { return strconv.AppendInt([]byte("key:"), int64(i), 10) }
	for i := 0; i < n; i++ {
		tb.SetBytes(key(i), 0, 0, val, NoExpire)
	}
	base := tb.MemoryUsage()
	peak := 0
	for i := 0; i < 10*n; i++ {
		k := key((i * 7919) % n)
		tb.Delete(k)
		tb.SetBytes(k, 0, 0, val[:i%61], NoExpire)
		if i%1000 == 0 {
			peak = max(peak, tb.MemoryUsage())
		}
	}
	if err := tb.Check(); err != nil {
		t.Fatal(err)
	}
	t.Logf("memory usage: %d after load, peak %d during churn", base, peak)
	if peak > 2*base {
		t.Errorf("peak %d more than twice the loaded size %d", peak, base)
	}
}

package stream

import (
	"os"
	"runtime"
	"strconv"
	"testing"
)

// TestMemoryMillion measures the heap a stream of 1,000,000 entries with
// three small fields takes (STREAM_MEMORY=1 to run; it prints the figure
// to compare with Redis's INFO memory for the same XADDs).
func TestMemoryMillion(t *testing.T) {
	if os.Getenv("STREAM_MEMORY") == "" {
		t.Skip("set STREAM_MEMORY=1")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s := New()
	lim := Limits{MaxEntries: 100, MaxBytes: 4096}
	ms := uint64(1700000000000)
	var seq uint64
	for i := 0; i < 1000000; i++ {
		if i%500 == 0 {
			ms++
			seq = 0
		}
		fv := [][]byte{[]byte("name"), []byte("user" + strconv.Itoa(i%1000)), []byte("age"), []byte(strconv.Itoa(i % 90)), []byte("city"), []byte("paris")}
		s.Append(ID{ms, seq}, fv, lim)
		seq++
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("1M entries: heap %d bytes (%.1f B/entry), MemoryUsage %d, blocks %d", heap, float64(heap)/1e6, s.MemoryUsage(), s.Blocks())
	runtime.KeepAlive(s)
}

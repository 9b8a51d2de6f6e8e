package kvtable

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestSampleSome(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	rnd := func(n uint64) uint64 { return r.Uint64N(n) }
	tb := New()
	tb.SampleSome(5, rnd, func(Entry) { t.Fatal("sampled an empty table") })
	const n = 10_000
	for i := 0; i < n; i++ {
		tb.SetBytes([]byte("k"+strconv.Itoa(i)), 0, 0, []byte("v"), NoExpire)
	}
	// Every key is reachable, and a sample has the size asked.
	seen := map[string]bool{}
	for round := 0; round < 20_000; round++ {
		got := 0
		tb.SampleSome(5, rnd, func(e Entry) {
			got++
			seen[string(e.Key())] = true
		})
		if got != 5 {
			t.Fatalf("sample of %d", got)
		}
	}
	if len(seen) < n*99/100 {
		t.Fatalf("20,000 samples of 5 reached %d of %d keys", len(seen), n)
	}
	// A table shrunk to a few keys in many buckets, or resizing, still
	// yields its keys.
	for i := 10; i < n; i++ {
		tb.Delete([]byte("k" + strconv.Itoa(i)))
	}
	got := map[string]bool{}
	for round := 0; round < 200; round++ {
		tb.SampleSome(3, rnd, func(e Entry) { got[string(e.Key())] = true })
	}
	if len(got) != 10 {
		t.Fatalf("sampling 10 keys left reached %d", len(got))
	}
}

func TestDataBytes(t *testing.T) {
	tb := New()
	base := tb.DataBytes()
	val := make([]byte, 100)
	for i := 0; i < 1000; i++ {
		tb.SetBytes([]byte("key:"+strconv.Itoa(i)), 0, 0, val, NoExpire)
	}
	per := float64(tb.DataBytes()-base) / 1000
	if per < 120 || per > 140 {
		t.Fatalf("%.1f bytes per key of 100 bytes", per)
	}
	// A large value is counted by its buffer.
	before := tb.DataBytes()
	tb.SetBytes([]byte("big"), 0, 0, make([]byte, 100_000), NoExpire)
	if d := tb.DataBytes() - before; d < 100_000 || d > 110_000 {
		t.Fatalf("a 100 kB value added %d", d)
	}
	for i := 0; i < 1000; i++ {
		tb.Delete([]byte("key:" + strconv.Itoa(i)))
	}
	tb.Delete([]byte("big"))
	for tb.Rehash(1 << 20) {
	}
	if err := tb.Check(); err != nil {
		t.Fatal(err)
	}
	if got := tb.DataBytes(); got > base+64 {
		t.Fatalf("DataBytes %d after deleting everything, %d when empty", got, base)
	}
}

// BenchmarkSampleSome draws 5 keys, reading each one's access clock, from
// a table much larger than the caches (1M keys of 100 bytes), as eviction
// does.
func BenchmarkSampleSome(b *testing.B) {
	tb := New()
	val := make([]byte, 100)
	for i := 0; i < 1_000_000; i++ {
		tb.SetBytes([]byte("key:"+strconv.Itoa(i)), 0, 0, val, NoExpire)
	}
	for tb.Rehash(1 << 20) {
	}
	r := rand.New(rand.NewPCG(1, 2))
	rnd := func(n uint64) uint64 { return r.Uint64N(n) }
	var sink uint32
	fn := func(e Entry) { sink += e.Access() }
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tb.SampleSome(5, rnd, fn)
	}
	_ = sink
}

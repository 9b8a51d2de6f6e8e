package kvtable

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

func rndFunc(seed uint64) func(n uint64) uint64 {
	r := rand.New(rand.NewPCG(seed, 3))
	return func(n uint64) uint64 { return r.Uint64N(n) }
}

func TestRandomEntry(t *testing.T) {
	tb := New()
	rnd := rndFunc(1)
	if _, ok := tb.RandomEntry(rnd); ok {
		t.Fatal("entry from empty table")
	}
	const n = 200
	for i := 0; i < n; i++ {
		tb.SetBytes(fmt.Appendf(nil, "k%d", i), 0, 0, nil, NoExpire)
	}
	// Every key turns up, and none far more often than the others: the
	// fair sampling keeps the bias of chain length small.
	counts := make(map[string]int)
	const draws = 200 * n
	for i := 0; i < draws; i++ {
		e, ok := tb.RandomEntry(rnd)
		if !ok {
			t.Fatal("no entry")
		}
		counts[string(e.Key())]++
	}
	if len(counts) != n {
		t.Fatalf("%d of %d keys drawn", len(counts), n)
	}
	for k, c := range counts {
		if c < draws/n/4 || c > draws/n*4 {
			t.Errorf("%s drawn %d times, expected about %d", k, c, draws/n)
		}
	}
	// A sparse table in mid-resize still works.
	for i := 0; i < n-3; i++ {
		tb.Delete(fmt.Appendf(nil, "k%d", i))
	}
	for i := 0; i < 100; i++ {
		if _, ok := tb.RandomEntry(rnd); !ok {
			t.Fatal("no entry from sparse table")
		}
	}
}

func TestSampleVolatile(t *testing.T) {
	tb := New()
	rnd := rndFunc(2)
	for i := 0; i < 1000; i++ {
		exp := int64(0)
		if i%2 == 0 {
			exp = int64(1000 + i)
		}
		tb.SetBytes(fmt.Appendf(nil, "k%d", i), 0, 0, []byte("v"), exp)
	}
	if tb.VolatileLen() != 500 {
		t.Fatalf("VolatileLen %d", tb.VolatileLen())
	}
	seenEver := make(map[string]bool)
	for round := 0; round < 200; round++ {
		got := make(map[string]bool)
		tb.SampleVolatile(20, rnd, func(e Entry) {
			if e.ExpireAt() == 0 {
				t.Fatalf("%s has no expire", e.Key())
			}
			if got[string(e.Key())] {
				t.Fatalf("%s sampled twice in one call", e.Key())
			}
			got[string(e.Key())] = true
			seenEver[string(e.Key())] = true
		})
		if len(got) != 20 {
			t.Fatalf("sampled %d, want 20", len(got))
		}
	}
	if len(seenEver) < 490 {
		t.Errorf("only %d of 500 volatile keys ever sampled", len(seenEver))
	}
	n := 0
	tb.SampleVolatile(1000, rnd, func(Entry) { n++ })
	if n != 500 {
		t.Fatalf("sampling more than exist gave %d", n)
	}
	if err := tb.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestEdgeCases(t *testing.T) {
	tb := New()
	// Empty key and empty value: present, non-nil, distinct from absent.
	tb.SetBytes(nil, 1, 2, nil, NoExpire)
	e, ok := tb.Get([]byte{})
	if !ok || e.Bytes() == nil || len(e.Bytes()) != 0 || len(e.Key()) != 0 || e.Kind() != 1 || e.Flags() != 2 {
		t.Fatal("empty key/value")
	}
	if _, ok := tb.Get([]byte{0}); ok {
		t.Fatal(`"\x00" found after setting ""`)
	}
	// A key bigger than a page, and a value far above the inline limit.
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MB
	tb.SetBytes(big, 0, 0, big[:3<<18], NoExpire)
	e, ok = tb.Get(big)
	if !ok || !bytes.Equal(e.Key(), big) || !bytes.Equal(e.Bytes(), big[:3<<18]) {
		t.Fatal("1 MB key")
	}
	if !tb.SetExpire(big, 5) || !tb.Delete(big) {
		t.Fatal("1 MB key expire/delete")
	}
	// Objects.
	obj := &objBox{7}
	tb.SetObj([]byte("o"), 5, 0, obj, 99)
	e, _ = tb.Get([]byte("o"))
	if e.Obj() != obj || e.Bytes() != nil || e.ExpireAt() != 99 || tb.VolatileLen() != 1 {
		t.Fatal("object")
	}
	if tb.MutableBytes([]byte("o"), 3) != nil || tb.MutableBytes([]byte("nope"), 3) != nil {
		t.Fatal("MutableBytes on object/absent")
	}
	// Range stops when fn returns false.
	for i := 0; i < 100; i++ {
		tb.SetBytes(fmt.Appendf(nil, "r%d", i), 0, 0, nil, NoExpire)
	}
	n := 0
	tb.Range(func(Entry) bool { n++; return n < 10 })
	if n != 10 {
		t.Fatalf("Range visited %d after stop", n)
	}
	// 100 small records: the first pages are small, sized to the data.
	if m := tb.MemoryUsage(); m < 100*24 || m > 16<<10 {
		t.Fatalf("MemoryUsage %d", m)
	}
	// Repeated appends stay linear: 20k appends of 100 bytes.
	for i := 0; i < 20000; i++ {
		tb.AppendBytes([]byte("log"), 0, 0, big[:100])
	}
	if e, _ := tb.Get([]byte("log")); len(e.Bytes()) != 2_000_000 {
		t.Fatalf("append length %d", len(e.Bytes()))
	}
	// SETBIT-style growth one byte at a time.
	tb.SetBytes([]byte("bits"), 0, 0, nil, NoExpire)
	for i := 1; i <= 10000; i++ {
		b := tb.MutableBytes([]byte("bits"), i)
		if len(b) != i || b[i-1] != 0 {
			t.Fatalf("MutableBytes(%d) len %d", i, len(b))
		}
		b[i-1] = byte(i)
	}
	if err := tb.Check(); err != nil {
		t.Fatal(err)
	}
	tb.Clear()
	if tb.Len() != 0 || tb.VolatileLen() != 0 || tb.MemoryUsage() > 1024 {
		t.Fatalf("after Clear: len %d vol %d mem %d", tb.Len(), tb.VolatileLen(), tb.MemoryUsage())
	}
	if _, ok := tb.Get([]byte("o")); ok {
		t.Fatal("key survived Clear")
	}
	tb.SetBytes([]byte("again"), 0, 0, []byte("x"), NoExpire)
	if err := tb.Check(); err != nil {
		t.Fatal(err)
	}
}

// Pages start small and double, so a small table costs about its records
// and a large one quickly reaches full pages.
func TestPageSizesGrow(t *testing.T) {
	tb := New()
	for i := 0; i < 200; i++ {
		tb.SetBytes(fmt.Appendf(nil, "field:%d", i), 0, 0, []byte("value-0123"), NoExpire)
	}
	if m := tb.MemoryUsage(); m > 24<<10 {
		t.Fatalf("200 small records: MemoryUsage %d", m)
	}
	for i := 0; i < 100000; i++ {
		tb.SetBytes(fmt.Appendf(nil, "k%d", i), 0, 0, []byte("v"), NoExpire)
	}
	if len(tb.pages[len(tb.pages)-1]) != pageSize {
		t.Fatalf("last page %d bytes", len(tb.pages[len(tb.pages)-1]))
	}
	// A record bigger than the next page gets a page that holds it.
	tb2 := New()
	tb2.SetBytes([]byte("k"), 0, 0, make([]byte, 4000), NoExpire)
	if err := tb2.Check(); err != nil {
		t.Fatal(err)
	}
	if err := tb.Check(); err != nil {
		t.Fatal(err)
	}
}
